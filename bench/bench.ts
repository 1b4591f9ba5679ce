// Benchmarks (figures, not tests), on real redis-server and redis-sentinel on 127.0.0.1: by default
// verify latency and the failover drill (bench/failoverDrill.ts); with --drill, one of the others
// (nodes, paths, motion, upgrade, rotation, backup, migration), each in a file of its own.
//
//   npm run bench [-- --trials 5 --verify-runs 20 --down-after 5000 --failover-timeout 10000 --skip-drill]

import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runCommand, UsageError, wholeNumber } from "../cli/command";
import { MASTER_NAME } from "../facts/operator";
import { GroupSpec } from "../lab/redisLab";
import { runNodeDrills } from "./nodeDrill";
import { MOTION_CASES, runMotionDrills } from "./motionDrill";
import { PATH_FAULTS, PATHS, runPathDrills } from "./pathDrill";
import { runBackupDrill } from "./backupDrill";
import { runMigrationDrill } from "./migrationDrill";
import { runRotationDrill } from "./rotationDrill";
import { drill, verifyLatency } from "./failoverDrill";

/** A comma-separated subset of `all`, or all of it. */
function listOf<T extends string>(flag: string, value: string | undefined, all: readonly T[]): T[] {
    if (value === undefined) return [...all];
    const items = value.split(",");
    const unknown = items.filter((item) => !all.includes(item as T));
    if (unknown.length) throw new UsageError(`--${flag}: unknown ${unknown.join(", ")}; choose from ${all.join(", ")}`);
    return items as T[];
}

const USAGE = `usage: npm run bench [-- --trials 5 --verify-runs 20 --down-after 5000 --failover-timeout 10000 --skip-drill]
       npm run bench -- --drill nodes [--trials 5 --down-after 5000 --failover-timeout 10000 --partition-seconds 20 --min-replicas-max-lag 10]
       npm run bench -- --drill paths [--trials 5 --down-after 5000 --failover-timeout 10000 --partition-seconds 20 --paths front,sentinel --faults kill,hang]
       npm run bench -- --drill motion [--trials 5 --down-after 5000 --failover-timeout 10000 --cases sentinel,replica,master,rolling,dns --log]
       npm run bench -- --drill backup [--trials 5 --keys 100000,1000000]
       npm run bench -- --drill migration [--trials 5 --keys 100000]
       npm run bench -- --drill upgrade [--trials 5 --log --pass-seconds 30]
       npm run bench -- --drill rotation [--trials 5 --log]

Figures, not tests: verify latency on a lab shaped like the dev stack, then the failover drill
(kill and hang of the master, ioredis defaults and recommended settings), on real Redis.
--drill nodes runs only the drills on the lab of nodes (network namespaces, as root): loss and
partition of the master's node, with and without min-replicas-to-write 1 (and --min-replicas-max-lag).
--drill paths compares, on the lab of nodes, the ways a client reaches the master (relabel: a model
of the operator's master Service; haproxy: the role check only; front: the shipped front with its
master gate; sentinel: a Sentinel-aware client) under kill, hang and partition of the master.
--drill motion runs the group in motion behind its front (lab/operator/motion.ts): a sentinel pod
re-created, a replica re-created, the master re-created in the operator's order, a rolling update of
the whole group, the front's DNS frozen 120 s; --log prints the operator model's steps on stderr.
--drill backup times the backup Job's steps and the restore command; --drill migration moves a
standalone Redis into a lab group by the README's runbook while an application writes.
--drill upgrade rolls the redis StatefulSet in the operator's update order (an image change) behind
the front (--pass-seconds: the operator model's pass, 30 s as the operator's; shorter for a quick
rehearsal); --drill rotation rotates a data-holding group's password in its four phases while three
clients write through the front (bench/rotationDrill.ts).`;

/** The motion drills' group: the stacks' shape, its limits on the command line. */
const MOTION_SPEC: GroupSpec = {
    name: "motion",
    redisCount: 3,
    sentinelCount: 3,
    password: "bench-motion-pw",
    maxmemory: "256mb",
    maxmemoryPolicy: "noeviction",
    appendonly: false,
    downAfterMilliseconds: 5000,
    failoverTimeout: 10_000,
    masterName: MASTER_NAME,
    minReplicasToWrite: 1,
    minReplicasMaxLag: 10,
};

runCommand(
    {
        name: "bench",
        usage: USAGE,
        options: {
            trials: { type: "string" },
            "verify-runs": { type: "string" },
            "down-after": { type: "string" },
            "failover-timeout": { type: "string" },
            "skip-drill": { type: "boolean" },
            drill: { type: "string" },
            keys: { type: "string" },
            "partition-seconds": { type: "string" },
            "min-replicas-max-lag": { type: "string" },
            paths: { type: "string" },
            faults: { type: "string" },
            cases: { type: "string" },
            log: { type: "boolean" },
            "pass-seconds": { type: "string" },
        },
    },
    async (flags) => {
        const trials = wholeNumber("trials", flags.trials, 5, 1);
        const verifyRuns = wholeNumber("verify-runs", flags["verify-runs"], 20, 1);
        const downAfter = wholeNumber("down-after", flags["down-after"], 5000, 100);
        const failoverTimeout = wholeNumber("failover-timeout", flags["failover-timeout"], 10_000, 1000);
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "redis-ha-bench-"));
        const redisVersion = spawnSync("redis-server", ["--version"], { encoding: "utf8" }).stdout.trim().split(" ").slice(0, 3).join(" ");
        console.log(`redis-ha bench on ${os.cpus().length} cores, ${redisVersion}, node ${process.version}`);
        try {
            if (flags.drill === "paths") {
                const partitionMs = wholeNumber("partition-seconds", flags["partition-seconds"], 20, 1) * 1000;
                const paths = listOf("paths", flags.paths, PATHS);
                const faults = listOf("faults", flags.faults, PATH_FAULTS);
                await runPathDrills(root, trials, { downAfterMilliseconds: downAfter, failoverTimeout, partitionMs }, paths, faults);
                return 0;
            }
            if (flags.drill === "motion" || flags.drill === "upgrade") {
                const spec = { ...MOTION_SPEC, downAfterMilliseconds: downAfter, failoverTimeout };
                const cases = flags.drill === "upgrade" ? ["upgrade" as const] : listOf("cases", flags.cases, MOTION_CASES);
                const passSeconds = wholeNumber("pass-seconds", flags["pass-seconds"], 30, 1);
                await runMotionDrills(root, trials, spec, cases, flags.log === true, passSeconds);
                return 0;
            }
            if (flags.drill === "rotation") {
                await runRotationDrill(root, trials, { downAfterMilliseconds: downAfter, failoverTimeout }, flags.log === true);
                return 0;
            }
            if (flags.drill === "backup") {
                const counts = (flags.keys ?? "100000,1000000").split(",").map((text) => wholeNumber("keys", text, 0, 1));
                await runBackupDrill(root, trials, counts);
                return 0;
            }
            if (flags.drill === "migration") {
                const counts = (flags.keys ?? "100000").split(",").map((text) => wholeNumber("keys", text, 0, 1));
                await runMigrationDrill(root, trials, counts);
                return 0;
            }
            if (flags.drill !== undefined) {
                if (flags.drill !== "nodes")
                    throw new UsageError(
                        `--drill ${flags.drill}: the drills by name are "nodes", "paths", "motion", "upgrade", "rotation", "backup" and "migration"`,
                    );
                const partitionMs = wholeNumber("partition-seconds", flags["partition-seconds"], 20, 1) * 1000;
                await runNodeDrills(root, trials, {
                    downAfterMilliseconds: downAfter,
                    failoverTimeout,
                    minReplicasMaxLag: wholeNumber("min-replicas-max-lag", flags["min-replicas-max-lag"], 10, 1),
                    partitionMs,
                });
                return 0;
            }
            await verifyLatency(root, verifyRuns);
            if (!flags["skip-drill"]) {
                await drill(root, trials, downAfter, failoverTimeout);
            }
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
        return 0;
    },
);
