// Benchmarks (figures, not tests), on real redis-server and redis-sentinel on 127.0.0.1:
//   1. verify latency on a healthy 3-instance lab (the dev stack's shape);
//   2. failover drill: a client writing through Sentinel while the master is killed (SIGKILL) or
//      hung (SIGSTOP, resumed after the failover), for ioredis defaults and for the settings this
//      project recommends: time to the first write accepted by the new master, and acknowledged
//      writes lost.
//
//   npm run bench [-- --trials 5 --verify-runs 20 --down-after 5000 --failover-timeout 10000 --skip-drill]

import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import IORedis, { RedisOptions } from "ioredis";
import { runCommand, UsageError, wholeNumber } from "../cli/command";
import { parseStackConfigOrThrow } from "../config/parse";
import { PROJECT } from "../facts/project";
import { readStackFile } from "../config/stackFile";
import { MASTER_NAME } from "../facts/operator";
import { checkOnce } from "../health/wait";
import { GroupSpec, LabGroup, labExpectations, labTarget, startGroup, stopGroup } from "../lab/redisLab";
import { labSpecs } from "../lab/stackLab";
import { stackFilePath } from "../plan/planStack";
import { recommendedSentinelClientOptions } from "./clientSettings";
import { runNodeDrills } from "./nodeDrill";
import { MOTION_CASES, runMotionDrills } from "./motionDrill";
import { PATH_FAULTS, PATHS, runPathDrills } from "./pathDrill";
import { runBackupDrill } from "./backupDrill";
import { runMigrationDrill } from "./migrationDrill";
import { runRotationDrill } from "./rotationDrill";
import { countLost, median, medianRange, PROJECT_DIR, scriptCommand, sleep } from "./support";

function stats(values: number[]): { median: number; p90: number; min: number; max: number } {
    const sorted = [...values].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    return { median: median(values), p90: at(0.9), min: sorted[0], max: sorted[sorted.length - 1] };
}

async function verifyLatency(root: string, runs: number): Promise<void> {
    const file = readStackFile(stackFilePath("dev"), PROJECT);
    const config = parseStackConfigOrThrow(file.config, "dev", { secretKeys: file.secretKeys });
    const groups = await Promise.all(labSpecs(config).map((spec) => startGroup(spec, root)));
    try {
        const inProcess: number[] = [];
        for (let i = 0; i < runs; i++) {
            const started = process.hrtime.bigint();
            const reports = await Promise.all(groups.map((group) => checkOnce(labTarget(group), labExpectations(group))));
            if (!reports.every((r) => r.healthy)) throw new Error("bench: lab not healthy");
            inProcess.push(Number(process.hrtime.bigint() - started) / 1e6);
        }
        const cli: number[] = [];
        const cache = groups.find((g) => g.spec.name === "cache")!;
        const [node, ...args] = scriptCommand(
            path.join("cli", "verify.ts"),
            "--sentinel",
            cache.sentinels.map((s) => `127.0.0.1:${s.port}`).join(","),
            "--master-name",
            MASTER_NAME,
            "--expect-policy",
            cache.spec.maxmemoryPolicy,
            "--expect-redis",
            String(cache.spec.redisCount),
            "--expect-sentinels",
            String(cache.spec.sentinelCount),
            "--expect-maxmemory",
            cache.spec.maxmemory,
            "--password-env",
            "BENCH_PASSWORD",
        );
        for (let i = 0; i < runs; i++) {
            const started = process.hrtime.bigint();
            const result = spawnSync(node, args, {
                cwd: PROJECT_DIR,
                env: { ...process.env, BENCH_PASSWORD: cache.spec.password },
                encoding: "utf8",
            });
            if (result.status !== 0) throw new Error(`bench: verify exited ${result.status}: ${result.stdout}${result.stderr}`);
            cli.push(Number(process.hrtime.bigint() - started) / 1e6);
        }
        const a = stats(inProcess);
        const b = stats(cli);
        console.log(`\n## verify latency (${groups.length} instances, ${runs} runs each)`);
        console.log(
            `checks, all 3 instances in parallel, in process:  median ${a.median.toFixed(1)} ms, p90 ${a.p90.toFixed(1)} ms, min ${a.min.toFixed(1)}, max ${a.max.toFixed(1)}`,
        );
        console.log(
            `verify command, one instance, whole process:      median ${b.median.toFixed(0)} ms, p90 ${b.p90.toFixed(0)} ms, min ${b.min.toFixed(0)}, max ${b.max.toFixed(0)}`,
        );
    } finally {
        await Promise.all(groups.map(stopGroup));
    }
}

interface TrialResult {
    recoveryMs: number | null;
    acked: number;
    lost: number;
    errors: number;
}

/** One failover trial: write through Sentinel, break the master, measure. */
async function trial(
    spec: GroupSpec,
    root: string,
    mode: "kill" | "hang",
    client: "defaults" | "recommended",
    capMs: number,
): Promise<TrialResult> {
    const group: LabGroup = await startGroup(spec, root, { readyTimeoutMs: 30_000 });
    const options: RedisOptions = {
        sentinels: group.sentinels.map((s) => ({ host: "127.0.0.1", port: s.port })),
        name: spec.masterName,
        password: spec.password,
        ...(client === "recommended" ? recommendedSentinelClientOptions() : {}),
    };
    const writer = new IORedis(options);
    writer.on("error", () => undefined);
    // Each acknowledgement remembers which server sent it (the connection's remote port).
    const acked: Array<{ key: string; at: number; port?: number }> = [];
    let errors = 0;
    let running = true;
    let counter = 0;
    const loop = (async () => {
        while (running) {
            const key = `drill:${counter++}`;
            try {
                await writer.set(key, "1");
                acked.push({ key, at: Date.now(), port: writer.stream?.remotePort });
            } catch {
                errors++;
                await sleep(10);
            }
        }
    })();
    try {
        await sleep(1000);
        const oldMaster = group.redis[0];
        const t0 = Date.now();
        process.kill(oldMaster.pid, mode === "kill" ? "SIGKILL" : "SIGSTOP");
        const sentinel = new IORedis({ host: "127.0.0.1", port: group.sentinels[0].port, lazyConnect: true });
        await sentinel.connect();
        const masterNow = async () => ((await sentinel.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", spec.masterName)) as string[]).join(":");
        const oldAddress = `127.0.0.1:${oldMaster.port}`;
        while ((await masterNow()) === oldAddress && Date.now() - t0 < capMs) await sleep(50);
        if (mode === "hang") {
            await sleep(1000);
            process.kill(oldMaster.pid, "SIGCONT"); // it comes back believing it is master, until Sentinel demotes it
        }
        const newAddress = await masterNow();
        const newPort = Number(newAddress.split(":")[1]);
        // Keep writing until the new master has acknowledged writes for a while, or until the cap.
        const deadline = t0 + capMs;
        while (Date.now() < deadline) {
            await sleep(250);
            const first = acked.find((a) => a.at > t0 && a.port === newPort);
            if (first && Date.now() - first.at > 3000) break;
        }
        running = false;
        writer.disconnect();
        await Promise.race([loop, sleep(2000)]);
        // Give a resumed old master time to be demoted and resynchronised, then count what survived.
        await sleep(mode === "hang" ? 3000 : 500);
        const [host, port] = newAddress.split(":");
        const lost = await countLost(
            { host, port: Number(port) },
            spec.password,
            acked.map((a) => a.key),
        );
        sentinel.disconnect();
        const firstOnNewMaster = acked.find((a) => a.at > t0 && a.port === newPort);
        return {
            recoveryMs: firstOnNewMaster ? firstOnNewMaster.at - t0 : null,
            acked: acked.length,
            lost,
            errors,
        };
    } finally {
        running = false;
        writer.disconnect();
        await stopGroup(group);
    }
}

async function drill(root: string, trials: number, downAfter: number, failoverTimeout: number): Promise<void> {
    const spec: GroupSpec = {
        name: "drill",
        redisCount: 3,
        sentinelCount: 3,
        password: "bench-drill-pw",
        maxmemory: "256mb",
        maxmemoryPolicy: "noeviction",
        appendonly: false,
        downAfterMilliseconds: downAfter,
        failoverTimeout,
        masterName: MASTER_NAME,
    };
    const capMs = downAfter + failoverTimeout + 15_000;
    console.log(
        `\n## failover drill (3 redis, 3 sentinels, quorum 2, down-after-milliseconds ${downAfter}, failover-timeout ${failoverTimeout}; ${trials} trials each; cap ${capMs / 1000}s)`,
    );
    console.log("mode  client       recovered  recovery median (min..max) ms   acked writes lost per trial");
    const medians: Record<string, number | null> = {};
    for (const mode of ["kill", "hang"] as const) {
        for (const client of ["defaults", "recommended"] as const) {
            const results: TrialResult[] = [];
            for (let i = 0; i < trials; i++) {
                results.push(await trial(spec, root, mode, client, capMs));
                process.stderr.write(".");
            }
            const recovered = results.filter((r) => r.recoveryMs !== null).map((r) => r.recoveryMs!);
            medians[`${mode}/${client}`] = recovered.length ? median(recovered) : null;
            console.log(
                `${mode.padEnd(5)} ${client.padEnd(12)} ${`${recovered.length}/${trials}`.padEnd(10)} ${medianRange(recovered, "never within the cap").padEnd(31)} ` +
                    results.map((r) => r.lost).join(", "),
            );
        }
    }
    for (const mode of ["kill", "hang"]) {
        const d = medians[`${mode}/defaults`];
        const r = medians[`${mode}/recommended`];
        console.log(
            `${mode}: recommended/defaults recovery ratio ${d && r ? (r / d).toFixed(2) : d === null && r !== null ? "defaults never recovered" : "n/a"}`,
        );
    }
}

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
