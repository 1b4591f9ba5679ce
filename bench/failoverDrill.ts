// The first two benchmarks of `npm run bench`, on real redis-server and redis-sentinel on 127.0.0.1:
// verify latency on a healthy lab shaped like the dev stack, and the failover drill (a client writing
// through Sentinel while the master is killed or hung, for ioredis defaults and the recommended
// settings: time to the first write the new master accepts, and acknowledged writes lost).

import { spawnSync } from "child_process";
import * as path from "path";
import IORedis, { RedisOptions } from "ioredis";
import { parseStackConfigOrThrow } from "../config/parse";
import { PROJECT } from "../facts/project";
import { readStackFile } from "../config/stackFile";
import { MASTER_NAME } from "../facts/operator";
import { checkOnce } from "../health/wait";
import { GroupSpec, LabGroup, labExpectations, labTarget, startGroup, stopGroup } from "../lab/redisLab";
import { labSpecs } from "../lab/stackLab";
import { stackFilePath } from "../plan/planStack";
import { recommendedSentinelClientOptions } from "./clientSettings";
import { countLost, median, medianRange, PROJECT_DIR, scriptCommand, sleep } from "./support";

function stats(values: number[]): { median: number; p90: number; min: number; max: number } {
    const sorted = [...values].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    return { median: median(values), p90: at(0.9), min: sorted[0], max: sorted[sorted.length - 1] };
}

export async function verifyLatency(root: string, runs: number): Promise<void> {
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

export async function drill(root: string, trials: number, downAfter: number, failoverTimeout: number): Promise<void> {
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
