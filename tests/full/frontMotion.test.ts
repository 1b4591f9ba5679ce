// Full tier: the front while the group moves. A sentinel that names an address outside the group
// (the operator's template, 127.0.0.1) or nothing is not a vote; a sentinel that names another
// member still shuts the gate; the majority still counts every configured sentinel; `/ready` says
// whether a master is served. Then the operator in motion (lab/operator/motion.ts): pods re-created
// from its templates, with new addresses, behind a front that finds them in the lab's DNS.

import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import IORedis from "ioredis";
import { MASTER_NAME, REDIS_PORT } from "../../facts/operator";
import { withConnection } from "../../health/connection";
import { LabFront, startFront, stopFront } from "../../lab/front";
import { startMotionLab, stopMotionLab } from "../../lab/motionLab";
import { LabGroup, LabServer, startGroup, stopGroup } from "../../lab/redisLab";
import { quickSpec, serverCall, until } from "../support/health";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const sentinelCall = (server: LabServer, ...args: string[]) => serverCall(server, undefined, ...args);

/** A sentinel pointed where the operator's template points a new one: 127.0.0.1:6379. */
async function resetToTemplate(sentinel: LabServer): Promise<void> {
    await sentinelCall(sentinel, "SENTINEL", "REMOVE", MASTER_NAME);
    await sentinelCall(sentinel, "SENTINEL", "MONITOR", MASTER_NAME, "127.0.0.1", String(REDIS_PORT), "2");
}

/** A SET through a new connection to the front: null when it worked, else the error. */
function writeThrough(front: LabFront, password: string, key: string): Promise<string | null> {
    return withConnection(front, { password, timeoutMs: 1000 }, async (client) => (await client.set(key, "1")) && null).catch(
        (error: Error) => error.message,
    );
}

/** New connections every `everyMs` for `forMs`: the errors seen. */
async function writesFor(front: LabFront, password: string, forMs: number, everyMs: number): Promise<string[]> {
    const errors: string[] = [];
    for (let started = Date.now(), i = 0; Date.now() - started < forMs; i++) {
        const error = await writeThrough(front, password, `motion:${i}`);
        if (error) errors.push(error);
        await sleep(everyMs);
    }
    return errors;
}

function httpStatus(front: LabFront, urlPath: string): Promise<number> {
    return new Promise((resolve, reject) => {
        http.get({ host: front.host, port: front.monitorPort, path: urlPath, timeout: 2000 }, (response) => {
            response.resume();
            resolve(response.statusCode ?? 0);
        }).on("error", reject);
    });
}

describe("full: the front while the group moves", function () {
    this.timeout(120_000);
    let root: string;
    before(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), "redis-ha-motion-"))));
    after(() => fs.rmSync(root, { recursive: true, force: true }));

    describe("sentinels that are not votes", () => {
        let group: LabGroup;
        let front: LabFront;
        before(async () => {
            group = await startGroup(quickSpec({ name: "votes", redisCount: 3, sentinelCount: 3 }), root);
            front = await startFront(group, { dir: path.join(group.dir, "front") });
        });
        after(async () => {
            if (front) stopFront(front);
            if (group) await stopGroup(group);
        });
        afterEach(async () => {
            // Every sentinel back on the master, as the operator's next pass would leave them.
            const master = (await sentinelCall(group.sentinels[0], "SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME)) as string[];
            for (const sentinel of group.sentinels.slice(1)) {
                await sentinelCall(sentinel, "SENTINEL", "REMOVE", MASTER_NAME).catch(() => undefined);
                await sentinelCall(sentinel, "SENTINEL", "MONITOR", MASTER_NAME, master[0], master[1], "2");
                await sentinelCall(sentinel, "SENTINEL", "SET", MASTER_NAME, "auth-pass", group.spec.password);
            }
            await until(async () => (await writeThrough(front, group.spec.password, "motion:back")) === null, 10_000, "the front serving");
        });

        it("one of three sentinels reset to monitor 127.0.0.1:6379: a new connection every 200 ms for 8 s never fails", async () => {
            assert.ok(
                group.redis.every((server) => server.port !== REDIS_PORT),
                "no lab redis listens on 6379, so 127.0.0.1:6379 is outside the group",
            );
            assert.strictEqual(await httpStatus(front, "/ready"), 200);
            await resetToTemplate(group.sentinels[2]);
            assert.deepStrictEqual(await sentinelCall(group.sentinels[2], "SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME), [
                "127.0.0.1",
                String(REDIS_PORT),
            ]);
            assert.deepStrictEqual(await writesFor(front, group.spec.password, 8000, 200), []);
            assert.strictEqual(await httpStatus(front, "/ready"), 200);
        });

        it("a sentinel that does not monitor the master yet is not a vote either", async () => {
            await sentinelCall(group.sentinels[2], "SENTINEL", "REMOVE", MASTER_NAME);
            assert.deepStrictEqual(await writesFor(front, group.spec.password, 3000, 200), []);
        });

        it("a sentinel naming another member of the group still shuts the gate: members that disagree are a failover", async () => {
            const replica = group.redis[1];
            await sentinelCall(group.sentinels[2], "SENTINEL", "REMOVE", MASTER_NAME);
            await sentinelCall(
                group.sentinels[2],
                "SENTINEL",
                "MONITOR",
                MASTER_NAME,
                replica.host ?? "127.0.0.1",
                String(replica.port),
                "2",
            );
            await until(async () => (await writeThrough(front, group.spec.password, "motion:shut")) !== null, 5000, "the gate shutting");
            await until(async () => (await httpStatus(front, "/ready")) === 503, 5000, "/ready reporting no master served");
        });

        it("two of three not voting leave no majority of the three: nothing is served, /ready 503, /alive 200", async () => {
            for (const sentinel of group.sentinels.slice(1)) await resetToTemplate(sentinel);
            await until(async () => (await writeThrough(front, group.spec.password, "motion:none")) !== null, 5000, "the gate shutting");
            assert.strictEqual(await httpStatus(front, "/ready"), 503);
            assert.strictEqual(await httpStatus(front, "/alive"), 200);
        });
    });

    describe("the operator in motion (pods re-created with new addresses, found in DNS)", () => {
        it("a sentinel pod re-created from the template leaves the front serving until and after the operator's pass", async () => {
            const lab = await startMotionLab(quickSpec({ name: "resentinel", redisCount: 3, sentinelCount: 3 }), root, { block: 41 });
            try {
                const { model, front } = lab;
                const old = model.sentinels[0].server.host;
                await model.recreateSentinel(0);
                assert.notStrictEqual(model.sentinels[0].server.host, old, "the new pod has a new address");
                const named = (await sentinelCall(
                    model.sentinels[0].server,
                    "SENTINEL",
                    "GET-MASTER-ADDR-BY-NAME",
                    MASTER_NAME,
                )) as string[];
                assert.strictEqual(named[0], "127.0.0.1", "it starts from the operator's template");
                // 8 s: past `hold obsolete` (5 s), when the front has dropped the old pod's address and asks the new one.
                assert.deepStrictEqual(await writesFor(front, model.group.spec.password, 8000, 200), []);
                assert.match(await model.pass(), /sentinel 0 re-monitored/);
                assert.deepStrictEqual(await writesFor(front, model.group.spec.password, 2000, 200), []);
            } finally {
                await stopMotionLab(lab);
            }
        });

        it("a redis pod re-created from its template has its limits before any pass, and the pass makes it a replica", async () => {
            const lab = await startMotionLab(quickSpec({ name: "reredis", redisCount: 3, sentinelCount: 3, minReplicasToWrite: 1 }), root, {
                block: 42,
            });
            try {
                const { model } = lab;
                await model.recreateRedis(2);
                const pod = model.redis[2].server;
                const client = new IORedis({ host: pod.host, port: pod.port, password: model.group.spec.password });
                try {
                    assert.deepStrictEqual(await client.config("GET", "maxmemory"), ["maxmemory", "268435456"]);
                    assert.deepStrictEqual(await client.config("GET", "min-replicas-to-write"), ["min-replicas-to-write", "1"]);
                    assert.match(await client.info("replication"), /master_host:127\.0\.0\.1/, "the template's own master until a pass");
                    assert.match(await model.pass(), /redis 2 made replica of the master/);
                    await until(
                        async () => /master_link_status:up/.test(await client.info("replication")),
                        10_000,
                        "the new replica in sync",
                    );
                } finally {
                    client.disconnect();
                }
            } finally {
                await stopMotionLab(lab);
            }
        });

        it("the pass returns early while a pod is Pending or terminating", async () => {
            const lab = await startMotionLab(quickSpec({ name: "early", redisCount: 2, sentinelCount: 3 }), root, { block: 43 });
            try {
                lab.model.sentinels[1].phase = "Pending";
                assert.strictEqual(await lab.model.pass(), "early return: a sentinel pod is not running");
                lab.model.sentinels[1].phase = "Running";
                lab.model.redis[1].phase = "Terminating";
                assert.strictEqual(await lab.model.pass(), "early return: a redis pod is not running");
            } finally {
                lab.model.redis[1].phase = "Running";
                await stopMotionLab(lab);
            }
        });
    });
});
