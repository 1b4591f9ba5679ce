// A lab shaped like a stack: one real Redis + Sentinel group per instance, on 127.0.0.1, each with
// the front the cluster runs (HAProxy with the master gate) in front of it, started as daemons so
// they outlive the command, and tracked in a state file so `--down` finds them. Applications use
// the fronts' URLs, which follow a failover as the cluster's do.

import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { redisUrl } from "../render/urls";
import { StackConfig } from "../config/types";
import { MASTER_NAME } from "../facts/operator";
import { LabFront, startFront, stopFront } from "./front";
import { GroupSpec, LabGroup, labExpectations, stopGroup, startGroup } from "./redisLab";

/** A lab group with its front, and the passwords of a rotation under way (lab/stackRotation.ts). */
export type StackLabGroup = LabGroup & { front?: LabFront; rotation?: { old: string; next: string; phase: string } };

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
export function labAppEnv(config: StackConfig, groups: StackLabGroup[]): Record<string, string> {
    const byPurpose = new Map(groups.map((group) => [group.spec.name, group]));
    return Object.fromEntries(
        config.appEnv.map((entry) => {
            const group = byPurpose.get(entry.instance)!;
            if (!group.front) throw new Error(`lab: group ${group.spec.name} has no front`);
            return [entry.name, redisUrl(group.spec.password, `${group.front.host}:${group.front.port}`, entry.db)];
        }),
    );
}

/** One process of the lab, as `--json` lists it. */
export interface LabProcess {
    kind: "redis" | "sentinel" | "front";
    pid: number;
    address: string;
}

/** Every process of a group: its redis servers, sentinels and front. */
export function labProcesses(group: StackLabGroup): LabProcess[] {
    const address = (server: { host?: string; port: number }) => `${server.host ?? "127.0.0.1"}:${server.port}`;
    return [
        ...group.redis.map((s): LabProcess => ({ kind: "redis", pid: s.pid, address: address(s) })),
        ...group.sentinels.map((s): LabProcess => ({ kind: "sentinel", pid: s.pid, address: address(s) })),
        ...(group.front ? [{ kind: "front" as const, pid: group.front.pid, address: address(group.front) }] : []),
    ];
}

/** The verify command that checks a lab group (the lab is local: its password is printed). */
export function labVerifyCommand(group: StackLabGroup): string {
    const expectations = labExpectations(group);
    const addresses = (servers: Array<{ host?: string; port: number }>) =>
        servers.map((s) => `${s.host ?? "127.0.0.1"}:${s.port}`).join(",");
    return [
        `REDIS_PASSWORD='${group.spec.password}' npm run verify --`,
        `--sentinel ${addresses(group.sentinels)}`,
        `--members ${addresses([...group.redis, ...group.sentinels])}`,
        ...(group.front ? [`--front ${addresses([group.front])}`] : []),
        `--master-name ${expectations.masterName}`,
        `--expect-policy ${expectations.maxmemoryPolicy}`,
        `--expect-redis ${expectations.redisCount}`,
        `--expect-sentinels ${expectations.sentinelCount}`,
        `--expect-maxmemory ${group.spec.maxmemory}`,
        "--password-env REDIS_PASSWORD",
    ].join(" ");
}

/** What a running lab records about itself. */
export interface LabState {
    /** The stack it is shaped like. */
    stack: string;
    /** Its groups, with every process id. */
    groups: StackLabGroup[];
}

const stateFile = (labDir: string) => path.join(labDir, "state.json");

/** The running lab in `labDir`, if any. */
export function readLabState(labDir: string): LabState | undefined {
    const file = stateFile(labDir);
    return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as LabState) : undefined;
}

/** Records the running lab; mode 600: the state holds the groups' passwords. */
export function writeLabState(labDir: string, state: LabState): void {
    fs.writeFileSync(stateFile(labDir), JSON.stringify(state, null, 2), { mode: 0o600 });
}

/**
 * Starts a group per spec in `labDir` and records them. When any fails to start, the ones that
 * did are stopped again and the first failure is thrown: nothing is left half-started.
 */
export async function startLab(labDir: string, stack: string, specs: GroupSpec[]): Promise<StackLabGroup[]> {
    const existing = readLabState(labDir);
    if (existing) {
        throw new Error(`a lab for stack "${existing.stack}" is running; stop it first: npm run lab -- --stack ${existing.stack} --down`);
    }
    const root = path.join(labDir, stack);
    fs.mkdirSync(root, { recursive: true });
    const started = await Promise.allSettled(
        specs.map(async (spec) => {
            const group: StackLabGroup = await startGroup(spec, root, { daemonize: true, readyTimeoutMs: 60_000 });
            try {
                group.front = await startFront(group, { dir: path.join(group.dir, "front"), daemonize: true });
            } catch (error) {
                await stopGroup(group);
                throw error;
            }
            return group;
        }),
    );
    const groups = started.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
    const failed = started.flatMap((result) => (result.status === "rejected" ? [(result.reason as Error).message] : []));
    if (failed.length) {
        await Promise.all(groups.map(stopLabGroup));
        fs.rmSync(root, { recursive: true, force: true });
        throw new Error(`${failed.join("; ")}; stopped what had started`);
    }
    writeLabState(labDir, { stack, groups });
    return groups;
}

async function stopLabGroup(group: StackLabGroup): Promise<void> {
    if (group.front) stopFront(group.front);
    await stopGroup(group);
}

/** Stops every process of the running lab and forgets it; returns what was stopped. */
export async function stopLab(labDir: string): Promise<StackLabGroup[]> {
    const state = readLabState(labDir);
    if (!state) {
        return [];
    }
    await Promise.all(state.groups.map(stopLabGroup));
    fs.rmSync(path.join(labDir, state.stack), { recursive: true, force: true });
    fs.rmSync(stateFile(labDir), { force: true });
    return state.groups;
}
