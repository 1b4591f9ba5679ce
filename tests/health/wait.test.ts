// The checks against real redis-server and redis-sentinel processes: a healthy group, then one
// group per fault, each asserting the specific finding and that the check ends within its bound.

import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import IORedis from "ioredis";
import { MASTER_NAME } from "../../facts/operator";
import { checkOnce, CheckResult, HealthReport, waitUntilHealthy } from "../../health";
import { freePort, GroupSpec, LabGroup, labExpectations, labTarget, restartRedis, startGroup, stopGroup } from "../../lab/redisLab";

const SPEC: GroupSpec = {
    name: "auth",
    redisCount: 3,
    sentinelCount: 3,
    password: "lab-password-1",
    maxmemory: "256mb",
    maxmemoryPolicy: "noeviction",
    appendonly: false,
    downAfterMilliseconds: 1000,
    failoverTimeout: 3000,
    masterName: MASTER_NAME,
};

function check(report: HealthReport, name: CheckResult["name"]): CheckResult {
    const found = report.checks.find((c) => c.name === name);
    assert.ok(found, `no check ${name}`);
    return found;
}

function failing(report: HealthReport): string[] {
    return report.checks.filter((c) => !c.ok).map((c) => c.name);
}

async function admin(group: LabGroup, index: number): Promise<IORedis> {
    const client = new IORedis({ host: "127.0.0.1", port: group.redis[index].port, password: group.spec.password, lazyConnect: true, maxRetriesPerRequest: 0 });
    await client.connect();
    return client;
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
    const started = Date.now();
    const value = await work();
    return { value, ms: Date.now() - started };
}

async function until(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition().catch(() => false))) {
        if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
}

describe("health: checks on real Redis", function () {
    this.timeout(60_000);
    let root: string;
    before(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "redis-ha-checks-"));
    });
    after(() => fs.rmSync(root, { recursive: true, force: true }));

    describe("a healthy group", () => {
        let group: LabGroup;
        before(async () => {
            group = await startGroup(SPEC, root);
        });
        after(() => stopGroup(group));

        it("passes every check, quickly", async () => {
            const { value: report, ms } = await timed(() => checkOnce(labTarget(group), labExpectations(group)));
            assert.deepStrictEqual(failing(report), []);
            assert.strictEqual(report.healthy, true);
            assert.strictEqual(report.master, `127.0.0.1:${group.redis[0].port}`);
            assert.ok(ms < 1000, `took ${ms} ms`);
        });

        it("reports a wrong password as an authentication failure", async () => {
            const report = await checkOnce({ ...labTarget(group), password: "not-the-password" }, labExpectations(group));
            assert.strictEqual(report.healthy, false);
            assert.match(check(report, "redis-reachable").detail, /authentication failed \(WRONGPASS/);
            assert.strictEqual(check(report, "sentinels-reachable").ok, true);
        });

        it("reports an unknown master name", async () => {
            const report = await checkOnce(labTarget(group), { ...labExpectations(group), masterName: "nosuchmaster" });
            assert.match(check(report, "master-known").detail, /know no master named "nosuchmaster"/);
            assert.strictEqual(report.healthy, false);
        });

        it("reports a sentinel address where nothing listens, at once", async () => {
            const port = await freePort();
            const target = { ...labTarget(group), sentinels: [...labTarget(group).sentinels, { host: "127.0.0.1", port }] };
            const { value: report, ms } = await timed(() => checkOnce(target, labExpectations(group)));
            assert.match(check(report, "sentinels-reachable").detail, new RegExp(`3/4 answer; 127.0.0.1:${port}: .*ECONNREFUSED`));
            assert.ok(ms < 2000, `took ${ms} ms`);
        });

        it("reports expectations that differ from what runs (counts, policy, size)", async () => {
            const report = await checkOnce(labTarget(group), { ...labExpectations(group), redisCount: 5, sentinelCount: 5, maxmemoryPolicy: "allkeys-lru", maxmemoryBytes: 1 });
            assert.deepStrictEqual(failing(report).sort(), ["maxmemory", "maxmemory-policy", "replica-count", "replication", "sentinel-count"]);
        });
    });

    describe("faults", () => {
        let group: LabGroup;
        beforeEach(async () => {
            group = await startGroup(SPEC, root);
        });
        afterEach(() => stopGroup(group));

        it("a replica with another maxmemory-policy (CONFIG SET is not replicated)", async () => {
            const replica = await admin(group, 2);
            await replica.config("SET", "maxmemory-policy", "allkeys-lru");
            replica.disconnect();
            const report = await checkOnce(labTarget(group), labExpectations(group));
            assert.deepStrictEqual(failing(report), ["maxmemory-policy"]);
            assert.strictEqual(check(report, "maxmemory-policy").detail, `expected noeviction; 127.0.0.1:${group.redis[2].port} has allkeys-lru`);
        });

        it("a master whose maxmemory differs", async () => {
            const master = await admin(group, 0);
            await master.config("SET", "maxmemory", "100mb");
            master.disconnect();
            const report = await checkOnce(labTarget(group), labExpectations(group));
            assert.deepStrictEqual(failing(report), ["maxmemory"]);
            assert.match(check(report, "maxmemory").detail, new RegExp(`127.0.0.1:${group.redis[0].port} has 104857600`));
        });

        it("a killed master: unhealthy at once, healthy again on the new master after Sentinel's failover", async () => {
            const oldMaster = `127.0.0.1:${group.redis[0].port}`;
            process.kill(group.redis[0].pid, "SIGKILL");
            const during = await checkOnce(labTarget(group), labExpectations(group));
            assert.strictEqual(during.healthy, false);
            // Refused once the process is gone; reset when the check connects while it is still dying.
            assert.match(check(during, "redis-reachable").detail, new RegExp(`${oldMaster}: .*(ECONNREFUSED|ECONNRESET)`));

            // The old master comes back, as its pod would, and Sentinel makes it a replica.
            const sentinel = new IORedis({ host: "127.0.0.1", port: group.sentinels[0].port, lazyConnect: true });
            await sentinel.connect();
            await until(async () => ((await sentinel.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME)) as string[]).join(":") !== oldMaster, 20_000, "failover");
            sentinel.disconnect();
            await restartRedis(group, 0);

            const progress: string[] = [];
            const after = await waitUntilHealthy(labTarget(group), labExpectations(group), {
                timeoutMs: 40_000,
                intervalMs: 500,
                onProgress: (report) => progress.push(failing(report).join(",")),
            });
            assert.deepStrictEqual(failing(after), []);
            assert.notStrictEqual(after.master, oldMaster);
            assert.ok(after.master && group.redis.slice(1).some((r) => after.master === `127.0.0.1:${r.port}`));
        });

        it("two of three sentinels down: no quorum", async () => {
            process.kill(group.sentinels[1].pid, "SIGKILL");
            process.kill(group.sentinels[2].pid, "SIGKILL");
            let report = await checkOnce(labTarget(group), labExpectations(group));
            assert.match(check(report, "sentinels-reachable").detail, /^1\/3 answer/);
            // The survivor needs down-after-milliseconds to count the others out.
            await until(async () => !check((report = await checkOnce(labTarget(group), labExpectations(group))), "quorum").ok, 10_000, "quorum loss");
            assert.match(check(report, "quorum").detail, /NOQUORUM/);
            assert.strictEqual(check(report, "sentinel-count").ok, false);
        });

        it("a replica whose link to the master is down", async () => {
            const replica = await admin(group, 1);
            await replica.config("SET", "masterauth", "wrong-password");
            await replica.call("CLIENT", "KILL", "TYPE", "master");
            await until(async () => /master_link_status:down/.test(await replica.info("replication")), 5000, "link down");
            replica.disconnect();
            const report = await checkOnce(labTarget(group), labExpectations(group));
            assert.match(check(report, "replication").detail, new RegExp(`127.0.0.1:${group.redis[1].port} master_link_status:down`));
            assert.strictEqual(report.healthy, false);
        });

        it("split brain: a replica that promoted itself", async () => {
            const replica = await admin(group, 2);
            await replica.call("REPLICAOF", "NO", "ONE");
            replica.disconnect();
            const report = await checkOnce(labTarget(group), labExpectations(group));
            assert.match(check(report, "single-master").detail, /^split brain: 2 servers report role:master/);
            assert.match(check(report, "single-master").detail, new RegExp(`127.0.0.1:${group.redis[2].port}`));
        });

        it("a sentinel that accepts connections and never answers: reported, and the check still ends", async () => {
            process.kill(group.sentinels[1].pid, "SIGSTOP");
            const { value: report, ms } = await timed(() => checkOnce({ ...labTarget(group), probeTimeoutMs: 500 }, labExpectations(group)));
            assert.match(check(report, "sentinels-reachable").detail, new RegExp(`2/3 answer; 127.0.0.1:${group.sentinels[1].port}: .*(timed out|no answer)`, "i"));
            assert.ok(ms < 3000, `took ${ms} ms`);
        });

        it("gives up when it never becomes healthy, after its timeout, with progress on the way", async () => {
            process.kill(group.sentinels[0].pid, "SIGKILL");
            const progress: number[] = [];
            const { value: report, ms } = await timed(() =>
                waitUntilHealthy(labTarget(group), labExpectations(group), { timeoutMs: 1500, intervalMs: 300, onProgress: (_, elapsed) => progress.push(elapsed) }),
            );
            assert.strictEqual(report.healthy, false);
            assert.ok(progress.length >= 2, `progress reported ${progress.length} times`);
            assert.ok(ms < 4000, `took ${ms} ms`);
        });
    });
});
