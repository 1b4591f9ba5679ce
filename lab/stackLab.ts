// A lab shaped like a stack: one real Redis + Sentinel group per instance, on 127.0.0.1, started
// as daemons so they outlive the command, and tracked in a state file so `--down` finds them.

import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { redisUrl } from "../components/redisFailover";
import { StackConfig } from "../config/types";
import { MASTER_NAME } from "../facts/operator";
import { GroupSpec, LabGroup, stopGroup, startGroup } from "./redisLab";

/** One group per instance, shaped like the stack; each with its own random password. */
export function labSpecs(config: StackConfig): GroupSpec[] {
    return config.instances.map((instance) => ({
        name: instance.purpose,
        redisCount: instance.redis.replicas,
        sentinelCount: instance.sentinel.replicas,
        password: crypto.randomBytes(18).toString("base64url"),
        maxmemory: instance.redis.maxmemory,
        maxmemoryPolicy: instance.redis.maxmemoryPolicy,
        appendonly: instance.redis.appendonly,
        holdsData: instance.holdsData,
        customConfig: instance.redis.customConfig,
        sentinelCustomConfig: instance.sentinel.customConfig,
        minReplicasToWrite: instance.redis.minReplicasToWrite,
        minReplicasMaxLag: instance.redis.minReplicasMaxLag,
        downAfterMilliseconds: instance.sentinel.downAfterMilliseconds,
        failoverTimeout: instance.sentinel.failoverTimeout,
        masterName: MASTER_NAME,
    }));
}

/** The env vars an application would use against the lab (password included: the lab is local). */
export function labAppEnv(config: StackConfig, groups: LabGroup[]): Record<string, string> {
    const byPurpose = new Map(groups.map((group) => [group.spec.name, group]));
    return Object.fromEntries(
        config.appEnv.map((entry) => {
            const group = byPurpose.get(entry.instance)!;
            return [entry.name, redisUrl(group.spec.password, `127.0.0.1:${group.redis[0].port}`, entry.db)];
        }),
    );
}

/** What a running lab records about itself. */
export interface LabState {
    /** The stack it is shaped like. */
    stack: string;
    /** Its groups, with every process id. */
    groups: LabGroup[];
}

const stateFile = (labDir: string) => path.join(labDir, "state.json");

/** The running lab in `labDir`, if any. */
export function readLabState(labDir: string): LabState | undefined {
    const file = stateFile(labDir);
    return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as LabState) : undefined;
}

/**
 * Starts a group per spec in `labDir` and records them. When any fails to start, the ones that
 * did are stopped again and the first failure is thrown: nothing is left half-started.
 */
export async function startLab(labDir: string, stack: string, specs: GroupSpec[]): Promise<LabGroup[]> {
    const existing = readLabState(labDir);
    if (existing) {
        throw new Error(`a lab for stack "${existing.stack}" is running; stop it first: npm run lab -- --stack ${existing.stack} --down`);
    }
    const root = path.join(labDir, stack);
    fs.mkdirSync(root, { recursive: true });
    const started = await Promise.allSettled(specs.map((spec) => startGroup(spec, root, { daemonize: true, readyTimeoutMs: 60_000 })));
    const groups = started.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
    const failed = started.flatMap((result) => (result.status === "rejected" ? [(result.reason as Error).message] : []));
    if (failed.length) {
        await Promise.all(groups.map(stopGroup));
        fs.rmSync(root, { recursive: true, force: true });
        throw new Error(`${failed.join("; ")}; stopped what had started`);
    }
    // Mode 600: the state holds the groups' passwords.
    fs.writeFileSync(stateFile(labDir), JSON.stringify({ stack, groups } satisfies LabState, null, 2), { mode: 0o600 });
    return groups;
}

/** Stops every process of the running lab and forgets it; returns what was stopped. */
export async function stopLab(labDir: string): Promise<LabGroup[]> {
    const state = readLabState(labDir);
    if (!state) {
        return [];
    }
    await Promise.all(state.groups.map(stopGroup));
    fs.rmSync(path.join(labDir, state.stack), { recursive: true, force: true });
    fs.rmSync(stateFile(labDir), { force: true });
    return state.groups;
}
