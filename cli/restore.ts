// `npm run restore`: loads a backup RDB (a file, or s3://bucket/key through the AWS CLI) into a
// group's current master, with every key's value and TTL: the RDB is checked (redis-check-rdb),
// opened by a private redis-server on 127.0.0.1, and each key copied with DUMP, PTTL and RESTORE.
// A group that holds any key is refused unless --force (which replaces keys of the same name).

import { execFile, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Redis } from "ioredis";
import { MASTER_NAME } from "../facts/operator";
import { formatEndpoint, withConnection } from "../health/connection";
import { keysPerDb } from "../health/migration";
import { askSentinel } from "../health/probes";
import { openTarget, Reach } from "../health/reach";
import { kubeReachOf, runCommand, UsageError } from "./command";

const USAGE = `usage: npm run restore -- --from FILE|s3://BUCKET/KEY (--sentinel HOST:PORT[,...] | [--kubeconfig FILE] --namespace NS --name NAME)
         [--master-name NAME] [--password-env VAR] [--force]

Loads a backup RDB into the group's master (found through its sentinels), every key with its TTL.
  --from           the RDB: a local file, or an S3 object (fetched with the AWS CLI and your credentials)
  --sentinel LIST  sentinel addresses, reached directly; or --namespace and --name of the
                   RedisFailover, reached through the Kubernetes API (port-forwards)
  --password-env   environment variable holding the group's password (default REDIS_PASSWORD)
  --force          restore into a group that holds keys, replacing keys of the same name
Exit status: 0 restored (counts printed), 1 refused or failed (why printed), 2 bad usage.`;

/** Deadline of the question to Sentinel, and of each batch of the copy. */
const ASK_TIMEOUT_MS = 5000;
const COPY_TIMEOUT_MS = 60_000;

const run = (file: string, args: string[]) =>
    new Promise<string>((resolve, reject) =>
        execFile(file, args, { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
            error ? reject(new Error(`${path.basename(file)}: ${(stderr || stdout).trim()}`)) : resolve(stdout),
        ),
    );

/** Keys per database of a connected server. */
async function keyspace(client: Redis): Promise<Map<number, number>> {
    return keysPerDb(await client.info("keyspace"));
}

/** Starts a redis-server with no network but 127.0.0.1 that loads `rdb`; resolves with a client and a stop. */
async function openRdb(rdb: string, dir: string): Promise<{ client: Redis; stop: () => void }> {
    fs.copyFileSync(rdb, path.join(dir, "dump.rdb"));
    const socket = path.join(dir, "redis.sock");
    const args = ["--port", "0", "--unixsocket", socket, "--dir", dir, "--dbfilename", "dump.rdb", "--save", "", "--appendonly", "no"];
    const server = spawn("redis-server", args, { stdio: "ignore" });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const IORedis = require("ioredis") as typeof import("ioredis").default;
    for (let tries = 0; !fs.existsSync(socket); tries++) {
        if (tries > 600 || server.exitCode !== null) throw new Error("the RDB could not be loaded by redis-server");
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const client = new IORedis({ path: socket, lazyConnect: true });
    await client.connect();
    // Loading a big RDB answers LOADING until done.
    while ((await client.info("persistence")).includes("loading:1")) await new Promise((resolve) => setTimeout(resolve, 100));
    return { client, stop: () => (client.disconnect(), server.kill()) };
}

/** Copies every key of every database from `source` to `target`; returns keys copied per database. */
async function copyKeys(source: Redis, target: Redis, replace: boolean): Promise<Map<number, number>> {
    const copied = new Map<number, number>();
    for (const db of (await keyspace(source)).keys()) {
        await source.select(db);
        await target.select(db);
        let cursor = "0";
        do {
            const [next, keys] = await source.scan(cursor, "COUNT", 1000);
            cursor = next;
            const read = source.pipeline();
            for (const key of keys) read.dumpBuffer(key).pttl(key);
            const replies = (await read.exec()) ?? [];
            const write = target.pipeline();
            keys.forEach((key, i) => {
                const payload = replies[2 * i][1] as Buffer | null;
                const ttl = Number(replies[2 * i + 1][1]);
                // Gone between SCAN and DUMP (expired while copying): nothing to restore.
                if (payload === null || ttl === -2) return;
                const args: Array<string | number | Buffer> = [key, ttl > 0 ? ttl : 0, payload];
                write.call("RESTORE", ...(replace ? [...args, "REPLACE"] : args));
            });
            for (const [error] of (await write.exec()) ?? []) if (error) throw error;
            copied.set(db, (copied.get(db) ?? 0) + keys.length);
        } while (cursor !== "0");
    }
    return copied;
}

runCommand(
    {
        name: "restore",
        usage: USAGE,
        options: {
            from: { type: "string" },
            sentinel: { type: "string" },
            namespace: { type: "string" },
            name: { type: "string" },
            kubeconfig: { type: "string" },
            "master-name": { type: "string" },
            "password-env": { type: "string" },
            force: { type: "boolean" },
        },
    },
    async (flags) => {
        if (!flags.from) throw new UsageError("--from FILE or s3://BUCKET/KEY is required");
        const kubernetes = kubeReachOf(flags);
        const reach: Reach = kubernetes ? { kubernetes } : { sentinels: (flags.sentinel ?? "").split(",").filter(Boolean) };
        if (!reach.kubernetes && reach.sentinels!.length === 0) throw new UsageError("--sentinel or --namespace and --name is required");
        const passwordEnv = flags["password-env"] ?? "REDIS_PASSWORD";
        const password = process.env[passwordEnv];
        if (password === undefined) throw new UsageError(`--password-env ${passwordEnv}: no such environment variable`);
        const masterName = flags["master-name"] ?? MASTER_NAME;

        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "redis-ha-restore-"));
        try {
            let rdb = flags.from;
            if (rdb.startsWith("s3://")) {
                rdb = path.join(dir, "backup.rdb");
                // S3_ENDPOINT: an S3-compatible server instead of AWS (the lab's), as the upload step reads it.
                const endpoint = process.env.S3_ENDPOINT ? ["--endpoint-url", process.env.S3_ENDPOINT] : [];
                await run("aws", [...endpoint, "s3", "cp", "--only-show-errors", flags.from, rdb]);
            }
            await run("redis-check-rdb", [rdb]);
            const opened = await openRdb(rdb, dir);
            let code = 1;
            const target = await openTarget(reach, password);
            try {
                const round = await target.round({ masterName, maxmemoryPolicy: "", redisCount: 0, sentinelCount: 0 });
                if (round.stop) throw new Error(round.stop);
                const [sentinel] = round.target.sentinels;
                const dial = round.target.dial ?? ((endpoint) => endpoint);
                const named = await askSentinel(await dial(sentinel), masterName, ASK_TIMEOUT_MS);
                if (!named.masterAddress)
                    throw new Error(
                        `the sentinel at ${formatEndpoint(sentinel)} names no master ${masterName}: ${named.error ?? "none known"}`,
                    );
                const { host, port } = named.masterAddress;
                code = await withConnection(await dial(named.masterAddress), { password, timeoutMs: COPY_TIMEOUT_MS }, async (master) => {
                    const before = [...(await keyspace(master)).values()].reduce((a, b) => a + b, 0);
                    if (before > 0 && !flags.force) {
                        console.error(
                            `restore: the master at ${host}:${port} holds ${before} keys; nothing restored (--force replaces keys of the same name)`,
                        );
                        return 1;
                    }
                    const copied = await copyKeys(opened.client, master, flags.force === true);
                    const total = [...copied.values()].reduce((a, b) => a + b, 0);
                    console.log(
                        `restored ${total} keys into the master at ${host}:${port}: ${[...copied].map(([db, n]) => `db${db} ${n}`).join(", ") || "none"}`,
                    );
                    return 0;
                });
            } finally {
                await target.close();
                opened.stop();
            }
            return code;
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    },
);
