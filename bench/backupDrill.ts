// The backup drill: how long the backup Job's two steps (render/backup.ts, as tests/full/backup.test.ts
// runs them) take on a lab group holding N keys, and how big the RDB is. Real redis-cli --rdb and
// redis-check-rdb against a group behind real Sentinel; Debian's AWS CLI v2 against s3rver on
// 127.0.0.1 (so the upload figure is local disk and loopback, not a network to S3).

import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import IORedis from "ioredis";
import { BackupConfig } from "../config/types";
import { MASTER_NAME } from "../facts/operator";
import { GroupSpec, startGroup, stopGroup } from "../lab/redisLab";
import { startS3 } from "../lab/s3";
import { backupTakeScript, backupUploadScript } from "../render/backup";
import { median, scriptCommand } from "./support";

const BUCKET = "redis-ha-bench-backups";

function step(script: string, file: string, env: NodeJS.ProcessEnv): Promise<number> {
    fs.writeFileSync(file, script);
    const started = Date.now();
    return new Promise((resolve, reject) =>
        execFile(
            "/bin/sh",
            [file],
            { env: { PATH: `/usr/bin:/bin:${process.env.PATH}`, HOME: os.tmpdir(), ...env } },
            (error, _out, err) => (error ? reject(new Error(`${path.basename(file)}: ${err}`)) : resolve(Date.now() - started)),
        ),
    );
}

/** Wall time of `npm run restore` (ts-node on cli/restore.ts) with `args`; throws with its output on failure. */
function restoreRun(args: string[], password: string): Promise<number> {
    const [node, ...rest] = scriptCommand("cli/restore.ts", ...args);
    const started = Date.now();
    return new Promise((resolve, reject) =>
        execFile(node, rest, { env: { ...process.env, REDIS_PASSWORD: password } }, (error, out, err) =>
            error ? reject(new Error(`restore: ${out}${err}`)) : resolve(Date.now() - started),
        ),
    );
}

/** Writes `count` keys of ~100 bytes (every tenth with a TTL) in pipelines of 10,000. */
async function fill(port: number, password: string, count: number): Promise<void> {
    const client = new IORedis({ port, host: "127.0.0.1", password, lazyConnect: true });
    await client.connect();
    try {
        for (let start = 0; start < count; start += 10_000) {
            const pipeline = client.pipeline();
            for (let i = start; i < Math.min(count, start + 10_000); i++)
                if (i % 10 === 0) pipeline.set(`key:${i}`, "v".repeat(100), "EX", 86_400);
                else pipeline.set(`key:${i}`, "v".repeat(100));
            await pipeline.exec();
        }
    } finally {
        client.disconnect();
    }
}

/** Prints take and upload time and RDB size for each key count, `trials` runs each. */
export async function runBackupDrill(root: string, trials: number, counts: number[]): Promise<void> {
    console.log(`\n## backup drill (2 redis, 1 sentinel; take = redis-cli --rdb from the replica + redis-check-rdb; ${trials} trials)`);
    console.log(
        "| keys | RDB size | take (median, min..max) | upload to s3rver (median) | restore into an empty group (median, min..max) |\n|---|---|---|---|---|",
    );
    const s3 = await startS3(root, [BUCKET]);
    const awsEnv = {
        AWS_ACCESS_KEY_ID: s3.accessKeyId,
        AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
        AWS_DEFAULT_REGION: "us-east-1",
        S3_ENDPOINT: s3.endpoint,
    };
    const backup = { bucket: BUCKET, prefix: "bench/" } as BackupConfig;
    try {
        for (const count of counts) {
            const spec: GroupSpec = {
                name: `backup-${count}`,
                redisCount: 2,
                sentinelCount: 1,
                password: "bench-backup-pw",
                maxmemory: "1gb",
                maxmemoryPolicy: "noeviction",
                appendonly: false,
                downAfterMilliseconds: 5000,
                failoverTimeout: 10_000,
                masterName: MASTER_NAME,
            };
            const group = await startGroup(spec, root);
            const target = await startGroup({ ...spec, name: `restored-${count}` }, root);
            try {
                await fill(group.redis[0].port, spec.password, count);
                const file = path.join(root, `dump-${count}.rdb`);
                const sentinel = { host: group.sentinels[0].host ?? "127.0.0.1", port: group.sentinels[0].port };
                const takes: number[] = [];
                const uploads: number[] = [];
                for (let trial = 0; trial < trials; trial++) {
                    takes.push(
                        await step(backupTakeScript("bench", sentinel, file), path.join(root, "take.sh"), {
                            REDIS_PASSWORD: spec.password,
                        }),
                    );
                    uploads.push(await step(backupUploadScript(backup, "bench", file), path.join(root, "upload.sh"), awsEnv));
                }
                // Into an emptied group each time: the command as the runbook runs it, less its start-up (a --help run).
                const startUp = await restoreRun(["--help"], spec.password);
                const into = `${target.sentinels[0].host ?? "127.0.0.1"}:${target.sentinels[0].port}`;
                const restores: number[] = [];
                for (let trial = 0; trial < trials; trial++) {
                    // The group's master now (a restore on a loaded machine may have seen a failover).
                    for (const server of target.redis) {
                        const flush = new IORedis({ port: server.port, host: "127.0.0.1", password: spec.password });
                        if ((await flush.info("replication")).includes("role:master")) await flush.flushall();
                        flush.disconnect();
                    }
                    restores.push((await restoreRun(["--from", file, "--sentinel", into], spec.password)) - startUp);
                }
                const size = fs.statSync(file).size;
                console.log(
                    `| ${count.toLocaleString("en")} | ${(size / 1024 ** 2).toFixed(1)} MiB | ${(median(takes) / 1000).toFixed(2)} s ` +
                        `(${(Math.min(...takes) / 1000).toFixed(2)}..${(Math.max(...takes) / 1000).toFixed(2)}) | ${(median(uploads) / 1000).toFixed(2)} s ` +
                        `| ${(median(restores) / 1000).toFixed(2)} s (${(Math.min(...restores) / 1000).toFixed(2)}..${(Math.max(...restores) / 1000).toFixed(2)}; ` +
                        `start-up ${(startUp / 1000).toFixed(2)} s not counted) |`,
                );
            } finally {
                await stopGroup(target);
                await stopGroup(group);
            }
        }
    } finally {
        await s3.close();
    }
}
