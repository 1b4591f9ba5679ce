// Local lab: one real Redis + Sentinel group per instance of a stack, on 127.0.0.1 and free ports,
// shaped like the stack (counts, policy, maxmemory, AOF, sentinel timings), then checked.
//
//   npm run lab -- --stack dev            start, check, print the appEnv an app would use locally
//   npm run lab -- --stack dev --down     stop everything the lab started

import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { checkOnce, HealthReport } from "../providers/checks";
import { parseStackConfig, PROJECT } from "../config/parse";
import { StackConfig } from "../config/types";
import { GroupSpec, LabGroup, labExpectations, labTarget, startGroup, stopGroup } from "./redisLab";
import { readStackFile } from "./stackFile";
import { formatReport } from "./verify";

const PROJECT_DIR = path.resolve(__dirname, "..");
/** Where a running lab keeps its processes' folders and its state file (REDIS_HA_LAB_DIR overrides). */
export const LAB_DIR = process.env.REDIS_HA_LAB_DIR ?? path.join(PROJECT_DIR, ".lab");
const STATE_FILE = path.join(LAB_DIR, "state.json");

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
        downAfterMilliseconds: instance.sentinel.downAfterMilliseconds,
        failoverTimeout: instance.sentinel.failoverTimeout,
        masterName: "mymaster",
    }));
}

/** The env vars an application would use against the lab (password included: the lab is local). */
export function labAppEnv(config: StackConfig, groups: LabGroup[]): Record<string, string> {
    const byPurpose = new Map(groups.map((group) => [group.spec.name, group]));
    return Object.fromEntries(
        config.appEnv.map((entry) => {
            const group = byPurpose.get(entry.instance)!;
            return [entry.name, `redis://:${encodeURIComponent(group.spec.password)}@127.0.0.1:${group.redis[0].port}/${entry.db}`];
        }),
    );
}

interface LabState {
    stack: string;
    groups: LabGroup[];
}

function readState(): LabState | undefined {
    return fs.existsSync(STATE_FILE) ? (JSON.parse(fs.readFileSync(STATE_FILE, "utf8")) as LabState) : undefined;
}

async function up(stack: string): Promise<number> {
    const existing = readState();
    if (existing) {
        console.error(`lab: a lab for stack "${existing.stack}" is running; stop it first: npm run lab -- --stack ${existing.stack} --down`);
        return 1;
    }
    const { config, issues } = parseStackConfig(readStackFile(path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`), PROJECT).config);
    if (!config) {
        console.error(`lab: stack "${stack}" has invalid configuration:\n${issues.map((i) => `  - ${i.key}: ${i.message}`).join("\n")}`);
        return 1;
    }
    const root = path.join(LAB_DIR, stack);
    fs.mkdirSync(root, { recursive: true });
    const specs = labSpecs(config);
    for (const spec of specs) {
        console.log(`lab: starting ${spec.name}: ${spec.redisCount} redis, ${spec.sentinelCount} sentinel, ${spec.maxmemory} ${spec.maxmemoryPolicy}`);
    }
    const started = await Promise.allSettled(specs.map((spec) => startGroup(spec, root, { daemonize: true, readyTimeoutMs: 60_000 })));
    const groups = started.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
    fs.writeFileSync(STATE_FILE, JSON.stringify({ stack, groups } satisfies LabState, null, 2), { mode: 0o600 });
    const failed = started.flatMap((result) => (result.status === "rejected" ? [String(result.reason)] : []));
    if (failed.length) {
        console.error(`lab: ${failed.join("; ")}\nlab: stopping what started`);
        await down();
        return 1;
    }
    let healthy = true;
    for (const group of groups) {
        const report: HealthReport = await checkOnce(labTarget(group), labExpectations(group));
        healthy &&= report.healthy;
        console.log(`\n${group.spec.name} (sentinels ${group.sentinels.map((s) => `127.0.0.1:${s.port}`).join(",")})\n${formatReport(report)}`);
    }
    console.log("\nappEnv for local use:");
    for (const [name, url] of Object.entries(labAppEnv(config, groups))) {
        console.log(`${name}=${url}`);
    }
    console.log(`\nStop with: npm run lab -- --stack ${stack} --down`);
    return healthy ? 0 : 1;
}

async function down(): Promise<number> {
    const state = readState();
    if (!state) {
        console.log("lab: nothing is running");
        return 0;
    }
    for (const group of state.groups) {
        stopGroup(group);
        console.log(`lab: stopped ${group.spec.name} (${group.redis.length + group.sentinels.length} processes)`);
    }
    fs.rmSync(path.join(LAB_DIR, state.stack), { recursive: true, force: true });
    fs.rmSync(STATE_FILE, { force: true });
    return 0;
}

async function main(argv: string[]): Promise<number> {
    const stackAt = argv.indexOf("--stack");
    const stack = stackAt >= 0 ? argv[stackAt + 1] : undefined;
    const unknown = argv.filter((arg, index) => arg !== "--down" && arg !== "--stack" && index !== stackAt + 1);
    if (!stack || stack.startsWith("--") || unknown.length) {
        console.error("usage: npm run lab -- --stack NAME [--down]");
        return 2;
    }
    return argv.includes("--down") ? down() : up(stack);
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (error) => {
            console.error(`lab: ${(error as Error).message}`);
            process.exit(1);
        },
    );
}
