// `npm run lab`: real Redis + Sentinel groups on 127.0.0.1 shaped like a stack, checked, with the
// appEnv an application would use locally.

import * as path from "path";
import { parseStackConfig, PROJECT } from "../config/parse";
import { readStackFile } from "../config/stackFile";
import { checkOnce, formatReport } from "../health";
import { labAppEnv, labSpecs, startLab, stopLab } from "../lab/stackLab";
import { labExpectations, labTarget } from "../lab/redisLab";
import { PROJECT_DIR, stackFilePath } from "../plan/planStack";
import { runCommand, UsageError } from "./command";

/** Where a running lab keeps its processes' folders and its state file (REDIS_HA_LAB_DIR overrides). */
const LAB_DIR = process.env.REDIS_HA_LAB_DIR ?? path.join(PROJECT_DIR, ".lab");

const USAGE = `usage: npm run lab -- --stack NAME [--down]

Starts real redis-server and redis-sentinel processes on 127.0.0.1, one group per instance of
Pulumi.NAME.yaml (counts, policy, maxmemory, AOF, sentinel timings), checks them and prints the
appEnv an application would use. --down stops everything the lab started.
Exit status: 0 healthy (or stopped), 1 failed, 2 bad usage.`;

async function up(stack: string): Promise<number> {
    const file = readStackFile(stackFilePath(stack), PROJECT);
    const { config, issues } = parseStackConfig(file.config, stack, { secretKeys: file.secretKeys });
    if (!config) {
        console.error(`lab: stack "${stack}" has invalid configuration:\n${issues.map((i) => `  - ${i.key}: ${i.message}`).join("\n")}`);
        return 1;
    }
    const specs = labSpecs(config);
    for (const spec of specs) {
        console.log(
            `lab: starting ${spec.name}: ${spec.redisCount} redis, ${spec.sentinelCount} sentinel, ${spec.maxmemory} ${spec.maxmemoryPolicy}`,
        );
    }
    const groups = await startLab(LAB_DIR, stack, specs);
    let healthy = true;
    for (const group of groups) {
        const report = await checkOnce(labTarget(group), labExpectations(group));
        healthy &&= report.healthy;
        console.log(
            `\n${group.spec.name} (sentinels ${group.sentinels.map((s) => `127.0.0.1:${s.port}`).join(",")})\n${formatReport(report)}`,
        );
    }
    console.log("\nappEnv for local use:");
    for (const [name, url] of Object.entries(labAppEnv(config, groups))) {
        console.log(`${name}=${url}`);
    }
    console.log(`\nStop with: npm run lab -- --stack ${stack} --down`);
    return healthy ? 0 : 1;
}

async function down(): Promise<number> {
    const stopped = await stopLab(LAB_DIR);
    if (stopped.length === 0) {
        console.log("lab: nothing is running");
    }
    for (const group of stopped) {
        console.log(`lab: stopped ${group.spec.name} (${group.redis.length + group.sentinels.length} processes)`);
    }
    return 0;
}

runCommand({ name: "lab", usage: USAGE, options: { stack: { type: "string" }, down: { type: "boolean" } } }, async (flags) => {
    if (!flags.stack) {
        throw new UsageError("--stack NAME is required");
    }
    return flags.down ? down() : up(flags.stack);
});
