// Full tier: a real failover. Sentinel needs down-after-milliseconds, an election and the
// restarted old master's conversion to a replica, which takes tens of seconds even with short timings.

import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import IORedis from "ioredis";
import { MASTER_NAME } from "../../facts/operator";
import { checkOnce, waitUntilHealthy } from "../../health/wait";
import { LabGroup, labExpectations, labTarget, restartRedis, startGroup, stopGroup } from "../../lab/redisLab";
import { check, failing, quickSpec, until } from "../support/health";

describe("full: health checks through a real failover", function () {
    this.timeout(90_000);
    let root: string;
    let group: LabGroup;
    before(async () => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "redis-ha-failover-"));
        group = await startGroup(quickSpec({ redisCount: 3, sentinelCount: 3 }), root);
    });
    after(async () => {
        await stopGroup(group);
        fs.rmSync(root, { recursive: true, force: true });
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
        await until(
            async () => ((await sentinel.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME)) as string[]).join(":") !== oldMaster,
            20_000,
            "failover",
        );
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
});
