// Full tier: a group's backup Job as render/backup.ts renders it, run in the lab with real tools:
// its take step (scripts/redis-backup.sh: real redis-cli --rdb and redis-check-rdb against a real
// group behind real Sentinel) and its upload step (scripts/backup-upload.sh: Debian's AWS CLI v2)
// against an S3-compatible server (lab/s3.ts), which refuses a missing bucket and an unknown key.

import * as assert from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BackupConfig } from "../../config/types";
import { startS3, LabS3 } from "../../lab/s3";
import { LabGroup, startGroup, stopGroup } from "../../lab/redisLab";
import { backupKeyPrefix, backupTakeScript, backupUploadScript } from "../../render/backup";
import { quickSpec, serverCall } from "../support/health";
import { PROJECT_DIR } from "../support/stacks";

const FAILOVER = "auth-redis";
const BUCKET = "redis-ha-lab-backups";
const AWS = "/usr/bin/aws";

/** Runs a rendered step with /bin/sh, without blocking the in-process S3 server. */
function runStep(script: string, file: string, env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
    fs.writeFileSync(file, script);
    return new Promise((resolve) =>
        execFile("/bin/sh", [file], { env: { PATH: `/usr/bin:/bin:${process.env.PATH}`, ...env } }, (error, stdout, stderr) =>
            resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
        ),
    );
}

function awsEnv(s3: LabS3, accessKeyId = s3.accessKeyId): NodeJS.ProcessEnv {
    return {
        AWS_ACCESS_KEY_ID: accessKeyId,
        AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
        AWS_DEFAULT_REGION: "us-east-1",
        S3_ENDPOINT: s3.endpoint,
        HOME: os.tmpdir(),
    };
}

function aws(s3: LabS3, ...args: string[]): Promise<string> {
    return new Promise((resolve, reject) =>
        execFile(AWS, ["--endpoint-url", s3.endpoint, ...args], { env: { ...process.env, ...awsEnv(s3) } }, (error, stdout, stderr) =>
            error ? reject(new Error(stderr)) : resolve(stdout),
        ),
    );
}

function checkRdb(file: string): Promise<{ code: number; output: string }> {
    return new Promise((resolve) =>
        execFile("redis-check-rdb", [file], (error, stdout, stderr) =>
            resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
        ),
    );
}

describe("full: the backup Job's steps against a real group and an S3 server", function () {
    this.timeout(120_000);
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "redis-ha-backup-"));
    const backup = { bucket: BUCKET, prefix: "redis/", kmsKeyId: undefined } as BackupConfig;
    let group: LabGroup;
    let s3: LabS3;
    const password = "lab-password-1";

    before(async function () {
        if (!fs.existsSync(AWS)) this.skip(); // .ci/system-packages installs Debian's awscli
        group = await startGroup(quickSpec({ name: "backup", redisCount: 2, sentinelCount: 1, password }), root);
        const master = group.redis[0];
        for (let i = 0; i < 1000; i++) await serverCall(master, password, "SET", `key:${i}`, `value ${i}`);
        for (let i = 0; i < 100; i++) await serverCall(master, password, "SET", `ttl:${i}`, "v", "EX", "3600");
        // The replica has the last write before the take step looks for a replica in sync.
        const offset = async (server: LabGroup["redis"][number]) =>
            Number(/master_repl_offset:(\d+)/.exec(String(await serverCall(server, password, "INFO", "replication")))![1]);
        const target = await offset(master);
        for (let tries = 0; (await offset(group.redis[1])) < target; tries++) {
            if (tries > 100) throw new Error("the replica did not catch up");
            await new Promise((resolve) => setTimeout(resolve, 100));
        }
        s3 = await startS3(root, [BUCKET]);
    });
    after(async () => {
        await s3?.close();
        if (group) await stopGroup(group);
        fs.rmSync(root, { recursive: true, force: true });
    });

    it("takes a checked RDB from the replica and uploads it encrypted, under the group's prefix", async () => {
        const file = path.join(root, "dump.rdb");
        const sentinel = { host: group.sentinels[0].host ?? "127.0.0.1", port: group.sentinels[0].port };
        const take = await runStep(backupTakeScript(FAILOVER, sentinel, file), path.join(root, "take.sh"), { REDIS_PASSWORD: password });
        assert.strictEqual(take.code, 0, take.output);
        assert.match(take.output, new RegExp(`from the replica at ${group.redis[1].host}:${group.redis[1].port}`));
        assert.ok(!take.output.includes(password), "the password is never printed");

        const upload = await runStep(backupUploadScript(backup, FAILOVER, file), path.join(root, "upload.sh"), awsEnv(s3));
        assert.strictEqual(upload.code, 0, upload.output);
        const listed = await aws(s3, "s3api", "list-objects-v2", "--bucket", BUCKET, "--query", "Contents[].Key", "--output", "text");
        const keys = listed.trim().split(/\s+/);
        assert.strictEqual(keys.length, 1, listed);
        assert.match(keys[0], new RegExp(`^${backupKeyPrefix(backup, FAILOVER)}\\d{8}T\\d{6}Z\\.rdb$`));
        const put = s3.requests.find((request) => request.method === "PUT" && request.path === `/${BUCKET}/${keys[0]}`);
        assert.strictEqual(put?.sse, "AES256", "the upload asks for server-side encryption");

        // What S3 holds is a whole RDB with every key.
        const copy = path.join(root, "downloaded.rdb");
        await aws(s3, "s3", "cp", `s3://${BUCKET}/${keys[0]}`, copy);
        const check = await checkRdb(copy);
        assert.strictEqual(check.code, 0, check.output);
        assert.match(check.output, /\[info\] 1100 keys read/);
        assert.match(check.output, /\[info\] 100 expires/);
    });

    it("restores that object into a fresh group: every key, value and TTL; refuses a group holding keys without --force", async () => {
        const listed = await aws(s3, "s3api", "list-objects-v2", "--bucket", BUCKET, "--query", "Contents[].Key", "--output", "text");
        const object = `s3://${BUCKET}/${listed.trim().split(/\s+/)[0]}`;
        const fresh = await startGroup(quickSpec({ name: "restored", redisCount: 2, sentinelCount: 1, password }), root);
        try {
            const sentinel = `${fresh.sentinels[0].host ?? "127.0.0.1"}:${fresh.sentinels[0].port}`;
            const restore = (...extra: string[]) =>
                new Promise<{ code: number; output: string }>((resolve) =>
                    execFile(
                        process.execPath,
                        [
                            "-r",
                            "ts-node/register/transpile-only",
                            path.join(PROJECT_DIR, "cli", "restore.ts"),
                            "--from",
                            object,
                            "--sentinel",
                            sentinel,
                            ...extra,
                        ],
                        {
                            cwd: PROJECT_DIR,
                            env: { ...process.env, ...awsEnv(s3), PATH: `/usr/bin:${process.env.PATH}`, REDIS_PASSWORD: password },
                        },
                        (error, stdout, stderr) =>
                            resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
                    ),
                );
            const first = await restore();
            assert.strictEqual(first.code, 0, first.output);
            assert.match(first.output, /restored 1100 keys .*db0 1100/);
            const master = fresh.redis[0];
            assert.strictEqual(Number(await serverCall(master, password, "DBSIZE")), 1100);
            for (const i of [0, 499, 999]) assert.strictEqual(await serverCall(master, password, "GET", `key:${i}`), `value ${i}`);
            for (const i of [0, 99]) {
                const ttl = Number(await serverCall(master, password, "TTL", `ttl:${i}`));
                assert.ok(ttl > 3000 && ttl <= 3600, `ttl:${i} keeps its TTL (${ttl} s)`);
            }
            assert.strictEqual(Number(await serverCall(master, password, "TTL", "key:0")), -1, "a key without TTL gets none");

            await serverCall(master, password, "SET", "key:0", "changed");
            const refused = await restore();
            assert.strictEqual(refused.code, 1, refused.output);
            assert.match(refused.output, /holds 1100 keys; nothing restored/);
            assert.strictEqual(await serverCall(master, password, "GET", "key:0"), "changed", "nothing was written");
            const forced = await restore("--force");
            assert.strictEqual(forced.code, 0, forced.output);
            assert.strictEqual(await serverCall(master, password, "GET", "key:0"), "value 0");
        } finally {
            await stopGroup(fresh);
        }
    });

    it("fails, saying why, when the bucket is missing, the key is unknown or the password is wrong", async () => {
        const file = path.join(root, "dump.rdb");
        const missing = await runStep(
            backupUploadScript({ ...backup, bucket: "no-such-bucket" }, FAILOVER, file),
            path.join(root, "u2.sh"),
            awsEnv(s3),
        );
        assert.notStrictEqual(missing.code, 0);
        assert.match(missing.output, /NoSuchBucket/);
        const unknown = await runStep(backupUploadScript(backup, FAILOVER, file), path.join(root, "u3.sh"), awsEnv(s3, "AKIAUNKNOWN"));
        assert.notStrictEqual(unknown.code, 0);
        assert.match(unknown.output, /InvalidAccessKeyId/);
        const sentinel = { host: group.sentinels[0].host ?? "127.0.0.1", port: group.sentinels[0].port };
        const wrong = await runStep(backupTakeScript(FAILOVER, sentinel, path.join(root, "x.rdb")), path.join(root, "t2.sh"), {
            REDIS_PASSWORD: "not-the-password",
        });
        assert.notStrictEqual(wrong.code, 0);
        assert.match(wrong.output, /redis-cli --rdb from .* failed/);
        assert.ok(!fs.existsSync(path.join(root, "x.rdb")) || fs.statSync(path.join(root, "x.rdb")).size === 0);
    });
});
