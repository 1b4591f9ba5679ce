// The `membership` check on real Redis: two groups, and a sentinel of one adopting a server of the
// other, as when a pod IP is reused (spotahome/redis-operator#550: sentinels of different
// RedisFailovers join together; #297: sentinels naming another RedisFailover's master).
//
// The scenario: group a's replica is gone and its address (here its port on 127.0.0.1) now belongs
// to a replica of group b. Nobody tells a's sentinel anything: it still remembers the address as its
// replica, reconnects to it and finds a healthy replica there. Its counts stay right, so the
// operator's own check (numbers of replicas and sentinels in memory) never resets it.

import * as assert from "assert";
import { ChildProcess } from "child_process";
import * as fs from "fs";
import IORedis from "ioredis";
import * as os from "os";
import * as path from "path";
import { MASTER_NAME } from "../../facts/operator";
import { checkOnce } from "../../health/wait";
import { openPodTarget } from "../../health/kubernetes";
import { openTarget } from "../../health/reach";
import { LabGroup, labExpectations, startGroup, stopGroup, whenGone } from "../../lab/redisLab";
import { check, labMembers, labPods, operatorServices, pipeForwarder, quickSpec, startReplicaAt, until } from "../support/health";

describe("health: membership on real Redis", function () {
    this.timeout(30_000);
    let root: string;
    let a: LabGroup;
    let b: LabGroup;

    before(async () => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "redis-ha-membership-"));
        // The same password in both groups, as in the upstream reports: a's sentinel can talk to
        // b's servers. (Each of our groups has its own; the check is by address and does not care.)
        [a, b] = await Promise.all([startGroup(quickSpec({ name: "a" }), root), startGroup(quickSpec({ name: "b" }), root)]);
    });
    after(async () => {
        await Promise.all([stopGroup(a), stopGroup(b)]);
        fs.rmSync(root, { recursive: true, force: true });
    });

    /** One round on group `group` whose members are `members`, reached directly. */
    async function round(group: LabGroup, members: string[]) {
        const sentinels = group.sentinels.map((s) => `127.0.0.1:${s.port}`);
        const opened = await openTarget({ sentinels, members }, group.spec.password, 1000);
        try {
            return await checkOnce(opened, labExpectations(group));
        } finally {
            await opened.close();
        }
    }

    it("holds on two clean groups", async () => {
        for (const group of [a, b]) {
            const membership = check(await round(group, labMembers(group)), "membership");
            assert.strictEqual(membership.ok, true, membership.detail);
            assert.match(
                membership.detail,
                /^every address 1 sentinel knows \(2: master, replicas, other sentinels\) is among the members given$/,
            );
        }
        // Without a membership it does not apply, and does not fail.
        const opened = await openTarget({ sentinels: [`127.0.0.1:${a.sentinels[0].port}`] }, a.spec.password, 1000);
        assert.match(check(await checkOnce(opened, labExpectations(a)), "membership").detail, /^not applicable: /);
    });

    it("names a's sentinel and b's server that took the address of a's replica", async () => {
        const sentinel = `127.0.0.1:${a.sentinels[0].port}`;
        const gone = a.redis[1];
        const reused = `127.0.0.1:${gone.port}`;
        process.kill(gone.pid, "SIGKILL");
        assert.ok(await whenGone([gone.pid]));
        let intruder: ChildProcess | undefined;
        const client = new IORedis({ port: a.sentinels[0].port, lazyConnect: true, maxRetriesPerRequest: 0 });
        try {
            const bMaster = { host: "127.0.0.1", port: b.redis[0].port };
            intruder = await startReplicaAt(gone.port, bMaster, b.spec.password, path.join(root, "b-reused"));
            // Timed from here, once the intruder answers: the adoption and the checks, not starting
            // redis-server (a busy machine stretches that, and it is no behaviour of ours).
            const started = Date.now();
            // a's sentinel adopts it: connected to it (its `-cmd` link), flags clean, link ok.
            await client.connect();
            const id = String(await client.call("SENTINEL", "MYID")).slice(0, 8);
            const adopted = async () => {
                const server = new IORedis({ port: gone.port, password: b.spec.password, lazyConnect: true, maxRetriesPerRequest: 0 });
                let clients: string;
                try {
                    await server.connect();
                    clients = String(await server.call("CLIENT", "LIST"));
                } finally {
                    server.disconnect();
                }
                const replicas = (await client.call("SENTINEL", "REPLICAS", MASTER_NAME)) as string[][];
                const entry = replicas.map((r) => Object.fromEntries(r.flatMap((v, i) => (i % 2 ? [] : [[v, r[i + 1]]]))));
                const seen = entry.find((r) => `${r.ip}:${r.port}` === reused);
                return clients.includes(`name=sentinel-${id}-cmd`) && seen?.flags === "slave";
            };
            await until(adopted, 4000, "a's sentinel adopting b's replica");
            // b's sentinel says hello through its replica too (every 2 s), so a's sentinel may by now
            // also know b's sentinel: one more stranger, named after the replica. Whether it does yet
            // is timing; the replica is certain.
            const bSentinels = b.sentinels.map((s) => `127.0.0.1:${s.port}`).join("|");
            const strangers = (result: { ok: boolean; detail: string }, notMember: string) => {
                assert.strictEqual(result.ok, false, result.detail);
                const [first, ...more] = result.detail.split("; ");
                assert.strictEqual(first, `sentinel ${sentinel} knows replica ${reused}, which is ${notMember}`);
                for (const other of more) {
                    assert.match(
                        other,
                        new RegExp(`^sentinel ${sentinel} knows sentinel (${bSentinels}), which is ${notMember}`),
                        result.detail,
                    );
                }
            };

            // Directly, with the members of a that remain.
            const report = await round(a, labMembers(a, [gone]));
            strangers(check(report, "membership"), "not among the members given");
            // What the counts see: one healthy replica, as expected. Only membership names the cause.
            assert.strictEqual(check(report, "replica-count").ok, true, check(report, "replica-count").detail);

            // Through the pods of RedisFailover "a" (the pod of its replica is gone).
            const pods = labPods(a, "a").filter((pod) => pod.port !== gone.port);
            const opened = openPodTarget({
                name: "a",
                listPods: async () => pods,
                listServices: async () => operatorServices("a"),
                forward: pipeForwarder(),
                password: a.spec.password,
                probeTimeoutMs: 1000,
            });
            try {
                const throughPods = await checkOnce(opened, labExpectations(a));
                strangers(check(throughPods, "membership"), "not a pod of a");
            } finally {
                await opened.close();
            }
            assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
        } finally {
            client.disconnect();
            intruder?.kill("SIGKILL");
        }
    });
});
