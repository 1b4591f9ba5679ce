// The checks against real redis-server and redis-sentinel processes: a healthy group, then one
// group per fault, each asserting the specific finding and that the check ends within its bound.

import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { checkOnce, waitUntilHealthy } from "../../health/wait";
import { GroupSpec, LabGroup, labExpectations, labTarget, startGroup, stopGroup } from "../../lab/redisLab";
import { admin, check, failing, quickSpec, quietPort, timed, until } from "../support/health";

const SPEC = quickSpec({ redisCount: 3, sentinelCount: 3 });

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
            // Quickly: without any probe running into its timeout. Timed against that long timeout
            // rather than a figure of our own, which a busy machine could exceed.
            const probeTimeoutMs = 5000;
            const { value: report, ms } = await timed(() => checkOnce(labTarget(group, probeTimeoutMs), labExpectations(group)));
            assert.deepStrictEqual(failing(report), []);
            assert.strictEqual(report.healthy, true);
            assert.strictEqual(report.master, `127.0.0.1:${group.redis[0].port}`);
            assert.ok(ms < probeTimeoutMs, `took ${ms} ms`);
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
            const port = await quietPort();
            // At once: refused, not waited out, so well within a long probe timeout.
            const probeTimeoutMs = 5000;
            const target = { ...labTarget(group, probeTimeoutMs), sentinels: [...labTarget(group).sentinels, { host: "127.0.0.1", port }] };
            const { value: report, ms } = await timed(() => checkOnce(target, labExpectations(group)));
            assert.match(check(report, "sentinels-reachable").detail, new RegExp(`3/4 answer; 127.0.0.1:${port}: .*ECONNREFUSED`));
            assert.ok(ms < probeTimeoutMs, `took ${ms} ms`);
        });

        it("reports expectations that differ from what runs (counts, policy, size)", async () => {
            const report = await checkOnce(labTarget(group), {
                ...labExpectations(group),
                redisCount: 5,
                sentinelCount: 5,
                maxmemoryPolicy: "allkeys-lru",
                maxmemoryBytes: 1,
            });
            assert.deepStrictEqual(failing(report).sort(), [
                "maxmemory",
                "maxmemory-policy",
                "replica-count",
                "replication",
                "sentinel-count",
            ]);
        });
    });

    // Each fault gets a fresh group, the smallest that shows it: three sentinels only where the
    // fault is about sentinels (they need Sentinel's 2 s hello period to find each other).
    describe("faults", () => {
        let group: LabGroup;
        const fresh = async (overrides: Partial<GroupSpec>) => {
            group = await startGroup(quickSpec(overrides), root);
        };
        afterEach(() => stopGroup(group));

        it("a replica with another maxmemory-policy (CONFIG SET is not replicated)", async () => {
            await fresh({ redisCount: 3 });
            const replica = await admin(group, 2);
            await replica.config("SET", "maxmemory-policy", "allkeys-lru");
            replica.disconnect();
            const report = await checkOnce(labTarget(group), labExpectations(group));
            assert.deepStrictEqual(failing(report), ["maxmemory-policy"]);
            assert.strictEqual(
                check(report, "maxmemory-policy").detail,
                `expected noeviction; 127.0.0.1:${group.redis[2].port} has allkeys-lru`,
            );
        });

        it("a master whose maxmemory differs", async () => {
            await fresh({});
            const master = await admin(group, 0);
            await master.config("SET", "maxmemory", "100mb");
            master.disconnect();
            const report = await checkOnce(labTarget(group), labExpectations(group));
            assert.deepStrictEqual(failing(report), ["maxmemory"]);
            assert.match(check(report, "maxmemory").detail, new RegExp(`127.0.0.1:${group.redis[0].port} has 104857600`));
        });

        it("two of three sentinels down: no quorum", async () => {
            await fresh({ redisCount: 1, sentinelCount: 3 });
            process.kill(group.sentinels[1].pid, "SIGKILL");
            process.kill(group.sentinels[2].pid, "SIGKILL");
            let report = await checkOnce(labTarget(group), labExpectations(group));
            assert.match(check(report, "sentinels-reachable").detail, /^1\/3 answer/);
            // The survivor needs down-after-milliseconds to count the others out.
            await until(
                async () => !check((report = await checkOnce(labTarget(group), labExpectations(group))), "quorum").ok,
                10_000,
                "quorum loss",
            );
            assert.match(check(report, "quorum").detail, /NOQUORUM/);
            assert.strictEqual(check(report, "sentinel-count").ok, false);
        });

        it("a replica whose link to the master is down", async () => {
            await fresh({});
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
            await fresh({ redisCount: 3 });
            const replica = await admin(group, 2);
            await replica.call("REPLICAOF", "NO", "ONE");
            replica.disconnect();
            const report = await checkOnce(labTarget(group), labExpectations(group));
            assert.match(check(report, "single-master").detail, /^split brain: 2 servers report role:master/);
            assert.match(check(report, "single-master").detail, new RegExp(`127.0.0.1:${group.redis[2].port}`));
        });

        it("a sentinel that accepts connections and never answers: reported, and the check still ends", async () => {
            await fresh({ redisCount: 1, sentinelCount: 3 });
            process.kill(group.sentinels[1].pid, "SIGSTOP");
            const probeTimeoutMs = 500;
            const { value: report, ms } = await timed(() => checkOnce(labTarget(group, probeTimeoutMs), labExpectations(group)));
            assert.match(
                check(report, "sentinels-reachable").detail,
                new RegExp(`2/3 answer; 127.0.0.1:${group.sentinels[1].port}: .*(timed out|no answer)`, "i"),
            );
            // Ends: the hung sentinel costs a probe timeout or so, not one per check (14 of them).
            assert.ok(ms < 6 * probeTimeoutMs, `took ${ms} ms`);
        });

        it("gives up when it never becomes healthy, after its timeout, with progress on the way", async () => {
            await fresh({ redisCount: 1 });
            process.kill(group.sentinels[0].pid, "SIGKILL");
            const progress: number[] = [];
            const { value: report, ms } = await timed(() =>
                waitUntilHealthy(labTarget(group), labExpectations(group), {
                    timeoutMs: 1500,
                    intervalMs: 300,
                    onProgress: (_, elapsed) => progress.push(elapsed),
                }),
            );
            assert.strictEqual(report.healthy, false);
            // Not before its timeout; and not after it, counted in rounds (a busy machine makes them
            // slower, never more): at most one per 300 ms pause of the 1.5 s, reported, and the last.
            assert.ok(ms >= 1500, `took ${ms} ms`);
            assert.ok(progress.length >= 2 && progress.length <= 1500 / 300 + 1, `progress reported ${progress.length} times`);
            assert.ok(
                progress.every((elapsed) => elapsed < 1500),
                `progress at ${progress.join(", ")} ms`,
            );
        });
    });
});
