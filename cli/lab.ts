// `npm run lab`: real Redis + Sentinel groups on 127.0.0.1 shaped like a stack, each behind the
// front the cluster runs, checked, with the appEnv an application would use locally.

import * as path from "path";
import { parseStackConfig } from "../config/parse";
import { PROJECT } from "../facts/project";
import { readStackFile } from "../config/stackFile";
import { checkOnce } from "../health/wait";
import { formatReport } from "../health/report";
import { labAppEnv, labProcesses, labSpecs, labVerifyCommand, startLab, stopLab } from "../lab/stackLab";
import { rotateLabGroup } from "../lab/stackRotation";
import { labExpectations, labTarget } from "../lab/redisLab";
import { PROJECT_DIR, stackFilePath } from "../plan/planStack";
import { runCommand, UsageError } from "./command";

/** Where a running lab keeps its processes' folders and its state file (REDIS_HA_LAB_DIR overrides). */
const LAB_DIR = process.env.REDIS_HA_LAB_DIR ?? path.join(PROJECT_DIR, ".lab");

const USAGE = `usage: npm run lab -- --stack NAME [--json] [--down] [--rotate PURPOSE --phase PHASE]

Starts real redis-server and redis-sentinel processes on 127.0.0.1, one group per instance of
Pulumi.NAME.yaml (counts, policy, maxmemory, AOF, sentinel timings), each behind the front the
cluster runs (haproxy with the master gate), checks them and prints the appEnv an application
would use (through the fronts: they follow a failover) and a verify command per group.
  --json   print one JSON document instead: {"appEnv": {NAME: URL}, "instances": {PURPOSE:
           {"servers": [{"kind": "redis"|"sentinel"|"front", "pid": N, "address": "HOST:PORT"}],
           "verify": COMMAND}}}; progress goes to stderr
  --down   stop everything the lab started
  --rotate PURPOSE --phase accept|replicate|apps|retire
           apply one phase of a password rotation to the running lab's group, as \`up\` applies
           instances.<p>.passwordRotation (README, "Rotating a password"), check it and print its verify command
Exit status: 0 healthy (or stopped), 1 failed, 2 bad usage.`;

async function up(stack: string, json: boolean): Promise<number> {
    const file = readStackFile(stackFilePath(stack), PROJECT);
    const { config, issues } = parseStackConfig(file.config, stack, { secretKeys: file.secretKeys });
    if (!config) {
        console.error(`lab: stack "${stack}" has invalid configuration:\n${issues.map((i) => `  - ${i.key}: ${i.message}`).join("\n")}`);
        return 1;
    }
    // With --json, stdout carries only the document.
    const say = json ? (line: string) => console.error(line) : (line: string) => console.log(line);
    const specs = labSpecs(config);
    for (const spec of specs) {
        say(
            `lab: starting ${spec.name}: ${spec.redisCount} redis, ${spec.sentinelCount} sentinel, ${spec.maxmemory} ${spec.maxmemoryPolicy}, front`,
        );
    }
    const groups = await startLab(LAB_DIR, stack, specs);
    let healthy = true;
    for (const group of groups) {
        const report = await checkOnce(labTarget(group), labExpectations(group));
        healthy &&= report.healthy;
        say(
            `\n${group.spec.name} (front ${group.front!.host}:${group.front!.port}, sentinels ${group.sentinels.map((s) => `127.0.0.1:${s.port}`).join(",")})`,
        );
        say(formatReport(report));
    }
    const appEnv = labAppEnv(config, groups);
    if (json) {
        const instances = Object.fromEntries(groups.map((g) => [g.spec.name, { servers: labProcesses(g), verify: labVerifyCommand(g) }]));
        console.log(JSON.stringify({ appEnv, instances }, null, 2));
    } else {
        say("\nappEnv for local use (through the fronts):");
        for (const [name, url] of Object.entries(appEnv)) say(`${name}=${url}`);
        say("\nCheck a group again with:");
        for (const group of groups) say(labVerifyCommand(group));
    }
    say(`\nStop with: npm run lab -- --stack ${stack} --down`);
    return healthy ? 0 : 1;
}

async function down(): Promise<number> {
    const stopped = await stopLab(LAB_DIR);
    if (stopped.length === 0) {
        console.log("lab: nothing is running");
    }
    for (const group of stopped) {
        console.log(`lab: stopped ${group.spec.name} (${labProcesses(group).length} processes)`);
    }
    return 0;
}

async function rotate(purpose: string, phase: string): Promise<number> {
    const rotated = await rotateLabGroup(LAB_DIR, purpose, phase).catch((error: Error) => error);
    if (rotated instanceof Error) {
        console.error(`lab: ${rotated.message}`);
        return 1;
    }
    const { group, report } = rotated;
    console.log(`lab: ${purpose}: phase ${phase} applied to ${report.redis.length} redis and ${report.sentinels.length} sentinels`);
    const health = await checkOnce(labTarget(group), labExpectations(group));
    console.log(formatReport(health));
    console.log(`the Secret's password (operator, front) is now the ${group.rotation?.old === group.spec.password ? "old" : "new"} one`);
    console.log(labVerifyCommand(group));
    return health.healthy ? 0 : 1;
}

runCommand(
    {
        name: "lab",
        usage: USAGE,
        options: {
            stack: { type: "string" },
            down: { type: "boolean" },
            json: { type: "boolean" },
            rotate: { type: "string" },
            phase: { type: "string" },
        },
    },
    async (flags) => {
        if (!flags.stack) {
            throw new UsageError("--stack NAME is required");
        }
        if (flags.rotate !== undefined) {
            if (!flags.phase) throw new UsageError("--rotate needs --phase accept|replicate|apps|retire");
            return rotate(flags.rotate, flags.phase);
        }
        return flags.down ? down() : up(flags.stack, flags.json ?? false);
    },
);
