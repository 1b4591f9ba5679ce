// Full tier: the URLs the stack publishes (`appEnv`, built by `redisUrl`: through the front by
// default, to the operator's master Service with the front switched off) and its Sentinel settings
// (`appSentinelEnv`), used by real clients against a real group with a password: redis-py and
// Celery's Redis result backend under Debian's /usr/bin/python3 (python3-redis, python3-celery),
// ioredis, and redis-cli. Each write is then read back with a raw client on the db it must be in.

import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import IORedis from "ioredis";
import { sentinelClientSettings } from "../../render/failover";
import { redisUrl } from "../../render/urls";
import { MASTER_NAME } from "../../facts/operator";
import { LabFront, startFront, stopFront } from "../../lab/front";
import { LabGroup, startGroup, stopGroup } from "../../lab/redisLab";
import { quickSpec } from "../support/health";

const PYTHON = "/usr/bin/python3";

// argv: url key value; prints what redis-py reads back.
const REDIS_PY = `
import sys, redis
url, key, value = sys.argv[1:4]
client = redis.Redis.from_url(url)
client.set(key, value)
print(client.get(key).decode())
`;

// argv: url task_id value [master_name]; stores a task result with Celery's result backend
// (a sentinel:// URL with master_name in result_backend_transport_options when given), prints it read back.
const CELERY = `
import sys, json
from celery import Celery
url, task_id, value = sys.argv[1:4]
app = Celery("clients", backend=url)
if len(sys.argv) > 4:
    app.conf.result_backend_transport_options = {"master_name": sys.argv[4]}
backend = app.backend
backend.store_result(task_id, {"value": value}, "SUCCESS")
meta = backend.get_task_meta(task_id)
print(json.dumps({"backend": type(backend).__name__, "status": meta["status"], "value": meta["result"]["value"]}))
`;

// argv: host port master_name password db key value; the README's redis-py Sentinel line.
const REDIS_PY_SENTINEL = `
import sys
from redis.sentinel import Sentinel
host, port, name, password, db, key, value = sys.argv[1:8]
master = Sentinel([(host, int(port))], sentinel_kwargs=None).master_for(name, password=password, db=int(db))
master.set(key, value)
print(master.get(key).decode())
`;

function python(script: string, args: string[]): string {
    const run = spawnSync(PYTHON, ["-c", script, ...args], { encoding: "utf8", timeout: 30_000 });
    assert.strictEqual(run.status, 0, `${PYTHON} failed: ${run.stderr}`);
    return run.stdout.trim();
}

function redisCli(url: string, ...command: string[]): { status: number | null; stdout: string; stderr: string } {
    const run = spawnSync("redis-cli", ["--no-auth-warning", "-u", url, ...command], { encoding: "utf8", timeout: 10_000 });
    return { status: run.status, stdout: run.stdout.trim(), stderr: run.stderr.trim() };
}

/** What a raw client (no URL) finds under `key` in `db` of the group's master. */
async function rawGet(group: LabGroup, db: number, key: string): Promise<string | null> {
    const client = new IORedis({ host: "127.0.0.1", port: group.redis[0].port, password: group.spec.password, db, lazyConnect: true });
    try {
        await client.connect();
        return await client.get(key);
    } finally {
        client.disconnect();
    }
}

/** Asserts `key` holds `expected` in `db`, and is absent from a db next to it. */
async function assertInDb(group: LabGroup, db: number, key: string, expected: (raw: string) => boolean): Promise<void> {
    const raw = await rawGet(group, db, key);
    assert.ok(raw !== null && expected(raw), `${key} in db ${db}: ${raw}`);
    assert.strictEqual(await rawGet(group, db === 0 ? 1 : 0, key), null, `${key} only in db ${db}`);
}

describe("full: published URLs and Sentinel settings in real clients", function () {
    this.timeout(120_000);
    let root: string;
    const groups: LabGroup[] = [];
    const fronts: LabFront[] = [];
    // A password like the generated ones (letters and digits), and one with URL-special characters.
    const passwords = ["Ab3dEf6hIj9kLm2nOp5q", "p%w/d@x:?y+z&="];
    const dbs = [0, 3, 6];

    before(async () => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "redis-ha-clients-"));
        for (const [index, password] of passwords.entries()) {
            const group = await startGroup(quickSpec({ name: `clients-${index}`, password }), root);
            groups.push(group);
            fronts.push(await startFront(group, { dir: path.join(group.dir, "front") }));
        }
    });
    after(async () => {
        fronts.forEach(stopFront);
        await Promise.all(groups.map(stopGroup));
        fs.rmSync(root, { recursive: true, force: true });
    });

    // The published forms: the front (default) and the master itself (the rfrm- Service, front off).
    const forms = [
        { form: "front", endpoint: (index: number) => `${fronts[index].host}:${fronts[index].port}` },
        { form: "master Service", endpoint: (index: number) => `127.0.0.1:${groups[index].redis[0].port}` },
    ];
    for (const [index] of passwords.entries()) {
        for (const db of dbs) {
            for (const { form, endpoint } of forms) {
                describe(`${form} URL, password ${index === 0 ? "of letters and digits" : "with URL-special characters"}, db ${db}`, () => {
                    const url = () => redisUrl(groups[index].spec.password, endpoint(index), db);
                    const key = (client: string) => `clients:${client}:${form}:${index}:${db}`;

                    it("redis-py Redis.from_url", async () => {
                        assert.strictEqual(python(REDIS_PY, [url(), key("redis-py"), "py-value"]), "py-value");
                        await assertInDb(groups[index], db, key("redis-py"), (raw) => raw === "py-value");
                    });

                    it("Celery's Redis result backend", async () => {
                        const taskId = `task-${form.replace(" ", "-")}-${index}-${db}`;
                        const stored = JSON.parse(python(CELERY, [url(), taskId, "celery-value"]));
                        assert.deepStrictEqual(stored, { backend: "RedisBackend", status: "SUCCESS", value: "celery-value" });
                        await assertInDb(
                            groups[index],
                            db,
                            `celery-task-meta-${taskId}`,
                            (raw) => JSON.parse(raw).result.value === "celery-value",
                        );
                    });

                    it("ioredis new IORedis(url)", async () => {
                        const client = new IORedis(url(), { lazyConnect: true });
                        try {
                            await client.connect();
                            await client.set(key("ioredis"), "js-value");
                            assert.strictEqual(await client.get(key("ioredis")), "js-value");
                        } finally {
                            client.disconnect();
                        }
                        await assertInDb(groups[index], db, key("ioredis"), (raw) => raw === "js-value");
                    });

                    it("redis-cli -u", async () => {
                        const set = redisCli(url(), "SET", key("redis-cli"), "cli-value");
                        assert.deepStrictEqual([set.status, set.stdout], [0, "OK"], set.stderr);
                        await assertInDb(groups[index], db, key("redis-cli"), (raw) => raw === "cli-value");
                    });
                });
            }
        }

        it(`the old form redis://:<password>@ fails in redis-cli (password ${index})`, () => {
            const group = groups[index];
            const old = `redis://:${encodeURIComponent(group.spec.password)}@127.0.0.1:${group.redis[0].port}/3`;
            const run = redisCli(old, "SET", "clients:old-form", "x");
            assert.match(`${run.stdout}\n${run.stderr}`, /WRONGPASS|NOAUTH/);
        });

        describe(`through the group's real sentinels (password ${index})`, () => {
            const settings = () =>
                sentinelClientSettings(
                    {
                        master: `127.0.0.1:${groups[index].redis[0].port}`,
                        sentinel: `127.0.0.1:${groups[index].sentinels[0].port}`,
                        masterName: MASTER_NAME,
                    },
                    3,
                );

            it("redis-py Sentinel(...).master_for(masterName, password, db)", async () => {
                const { sentinels, masterName, db } = settings();
                const args = [sentinels[0].host, String(sentinels[0].port), masterName, groups[index].spec.password, String(db)];
                assert.strictEqual(python(REDIS_PY_SENTINEL, [...args, "clients:sentinel-py", "sentinel-py"]), "sentinel-py");
                await assertInDb(groups[index], db, "clients:sentinel-py", (raw) => raw === "sentinel-py");
            });

            it("Celery's sentinel:// result backend with master_name", async () => {
                const { sentinels, masterName, db } = settings();
                const url = redisUrl(groups[index].spec.password, `${sentinels[0].host}:${sentinels[0].port}`, db).replace(
                    /^redis:/,
                    "sentinel:",
                );
                const stored = JSON.parse(python(CELERY, [url, `sentinel-task-${index}`, "via-sentinel", masterName]));
                assert.deepStrictEqual(stored, { backend: "SentinelBackend", status: "SUCCESS", value: "via-sentinel" });
                await assertInDb(
                    groups[index],
                    db,
                    `celery-task-meta-sentinel-task-${index}`,
                    (raw) => JSON.parse(raw).result.value === "via-sentinel",
                );
            });

            it("ioredis { sentinels, name, password, db }", async () => {
                const { sentinels, masterName, db } = settings();
                const client = new IORedis({ sentinels, name: masterName, password: groups[index].spec.password, db, lazyConnect: true });
                try {
                    await client.connect();
                    await client.set("clients:sentinel-js", "sentinel-js");
                } finally {
                    client.disconnect();
                }
                await assertInDb(groups[index], db, "clients:sentinel-js", (raw) => raw === "sentinel-js");
            });
        });
    }
});
