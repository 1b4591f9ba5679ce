// The migration drill: a standalone Redis with N keys moved into a lab group by the README's
// runbook (lab/migration.ts moveIn, as tests/full/migration.test.ts runs it) while an application
// writes to it, then through the group's front. Figures: how long the pods took to catch up, how
// long writes were paused on the source, the writer's outage (its last write on the source to its
// first through the front), and acknowledged writes the group does not have.

import * as fs from "fs";
import * as path from "path";
import { MASTER_NAME } from "../facts/operator";
import { fillStandalone, moveIn, startStandalone, stopStandalone } from "../lab/migration";
import { startMotionLab, stopMotionLab } from "../lab/motionLab";
import { freePort, GroupSpec } from "../lab/redisLab";
import { countLost, medianRange, PROJECT_DIR } from "./support";

const SPEC: GroupSpec = {
    name: "moved",
    redisCount: 3,
    sentinelCount: 3,
    password: "bench-migration-pw",
    maxmemory: "1gb",
    maxmemoryPolicy: "noeviction",
    appendonly: true,
    holdsData: true,
    downAfterMilliseconds: 5000,
    failoverTimeout: 10_000,
    masterName: MASTER_NAME,
};

interface Trial {
    syncMs: number;
    pausedMs: number;
    outageMs: number;
    writes: number;
    lost: number;
}

async function trial(root: string, keys: number, block: number): Promise<Trial> {
    const dir = fs.mkdtempSync(path.join(root, "migration-"));
    const port = await freePort();
    const source = await startStandalone({ host: `127.77.${block}.200`, port, password: "bench-source-pw", dir: path.join(dir, "source") });
    try {
        await fillStandalone(source, keys);
        const lab = await startMotionLab(SPEC, dir, {
            block,
            redisPort: port,
            passIntervalMs: 2000,
            bootstrapNode: { host: source.host, port, allowSentinels: true },
        });
        try {
            lab.model.start();
            const moved = await moveIn(lab, source, PROJECT_DIR);
            const master = lab.model.redis[0].server;
            const lost = await countLost(
                { host: master.host ?? "127.0.0.1", port: master.port },
                SPEC.password,
                moved.writer.acked.map((ack) => ack.key),
            );
            const paused = /writes were paused (\d+) ms/.exec(moved.outputs[moved.outputs.length - 1]);
            return {
                syncMs: moved.syncMs,
                pausedMs: Number(paused?.[1] ?? NaN),
                outageMs: moved.writer.outageMs() ?? NaN,
                writes: moved.writer.acked.length,
                lost,
            };
        } finally {
            await stopMotionLab(lab);
        }
    } finally {
        stopStandalone(source);
    }
}

/** Prints one row per key count, `trials` runs each. */
export async function runMigrationDrill(root: string, trials: number, counts: number[]): Promise<void> {
    console.log(`\n## migration drill (3 redis, 3 sentinels, operator passes every 2 s; ${trials} trials per row)`);
    console.log(
        "| keys | caught up (status --wait, s) | writes paused on the source (ms) | writer outage: last on source → first through front (ms) | acked writes | lost |",
    );
    console.log("|---|---|---|---|---|---|");
    let block = 120;
    for (const keys of counts) {
        const results: Trial[] = [];
        for (let i = 0; i < trials; i++) results.push(await trial(root, keys, block++));
        const seconds = results.map((result) => Math.round(result.syncMs / 100) / 10);
        console.log(
            `| ${keys.toLocaleString("en")} | ${medianRange(seconds, "-")} | ${medianRange(
                results.map((r) => r.pausedMs),
                "-",
            )} | ${medianRange(
                results.map((r) => r.outageMs),
                "-",
            )} | ${results.map((r) => r.writes).join(", ")} | ${results.map((r) => r.lost).join(", ")} |`,
        );
    }
}
