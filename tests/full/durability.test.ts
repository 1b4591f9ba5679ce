// Full tier: a crash on real Redis. A client writes to a data-holding group's master without
// pause; the master is killed (SIGKILL) and started again from the same files with the same command
// line, as Kubernetes restarts the container. With the rendered command (AOF from start-up,
// appendfsync everysec) the acknowledged writes survive, bar at most the fsync window; with the old
// rendering (AOF switched on only by the operator's CONFIG SET) the restarted server ignores its AOF
// and comes up empty, and the operator's next CONFIG SET overwrites the AOF with that emptiness.

import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import IORedis from "ioredis";
import { operatorRedisArgs } from "../../lab/operator/steps";
import { LabGroup, reapplyRedisConfig, restartRedis, startGroup, stopGroup, whenGone } from "../../lab/redisLab";
import { admin, quickSpec, until } from "../support/health";

interface CrashResult {
    acked: string[];
    /** Most writes acknowledged within any one second before the kill. */
    perSecond: number;
    present: Set<string>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Keys of `keys` the server holds, once it has loaded its data. */
async function presentKeys(client: IORedis, keys: string[]): Promise<Set<string>> {
    await until(async () => /loading:0/.test((await client.info("persistence")) as string), 30_000, "data loaded");
    const present = new Set<string>();
    for (let i = 0; i < keys.length; i += 1000) {
        const batch = keys.slice(i, i + 1000);
        const values = await client.mget(...batch);
        batch.forEach((key, index) => values[index] !== null && present.add(key));
    }
    return present;
}

async function aofSettled(client: IORedis): Promise<boolean> {
    const info = (await client.info("persistence")) as string;
    return /aof_enabled:1/.test(info) && /aof_rewrite_in_progress:0/.test(info) && /aof_rewrite_scheduled:0/.test(info);
}

/** Writes from 4 connections for `writeMs`, SIGKILLs the master, restarts it (no operator check), reads back. */
async function crash(group: LabGroup, writeMs: number): Promise<CrashResult> {
    const acked: Array<{ key: string; at: number }> = [];
    let running = true;
    const writers = Array.from({ length: 4 }, async (_, writer) => {
        const client = new IORedis({ port: group.redis[0].port, password: group.spec.password, maxRetriesPerRequest: 0 });
        client.on("error", () => undefined);
        for (let n = 0; running; n++) {
            const key = `crash:${writer}:${n}`;
            try {
                await client.set(key, "x".repeat(64));
                acked.push({ key, at: Date.now() });
            } catch {
                break; // the server is gone
            }
        }
        client.disconnect();
    });
    await sleep(writeMs);
    process.kill(group.redis[0].pid, "SIGKILL");
    const killedAt = Date.now();
    running = false;
    await Promise.all(writers);
    assert.ok(await whenGone([group.redis[0].pid]));
    let perSecond = 0;
    for (let start = 0, end = 0; end < acked.length; end++) {
        while (acked[end].at - acked[start].at >= 1000) start++;
        if (acked[end].at <= killedAt) perSecond = Math.max(perSecond, end - start + 1);
    }
    await restartRedis(group, 0, { operatorCheck: false });
    const client = await admin(group, 0);
    try {
        const keys = acked.map((a) => a.key);
        return { acked: keys, perSecond, present: await presentKeys(client, keys) };
    } finally {
        client.disconnect();
    }
}

describe("full: durability of a data-holding group through a crash (SIGKILL) on real Redis", function () {
    this.timeout(120_000);
    let root: string;
    const groups: LabGroup[] = [];
    before(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "redis-ha-durability-"));
    });
    after(async () => {
        await Promise.all(groups.map(stopGroup));
        fs.rmSync(root, { recursive: true, force: true });
    });

    // One redis: nothing to fail over to, so the restarted server's own files are all there is
    // (as when every pod of a group restarts at once). Sentinel's timings are kept out of the way.
    const spec = { redisCount: 1, sentinelCount: 1, appendonly: true, downAfterMilliseconds: 60_000, failoverTimeout: 120_000 };

    it("the rendered command (AOF from start-up, everysec): acknowledged writes lost are within the fsync window", async () => {
        const group = await startGroup(quickSpec({ ...spec, name: "rendered", holdsData: true }), root);
        groups.push(group);
        assert.deepStrictEqual(group.redis[0].args?.slice(4, 8), ["--appendonly", "yes", "--appendfsync", "everysec"]);
        const { acked, perSecond, present } = await crash(group, 3000);
        const lost = acked.length - present.size;
        console.log(
            `      rendered command: ${acked.length} writes acknowledged (up to ${perSecond}/s), ${present.size} restored, ${lost} lost`,
        );
        assert.ok(acked.length >= 2000, `only ${acked.length} writes acknowledged`);
        assert.ok(lost <= perSecond, `${lost} acknowledged writes lost, more than one second's worth (${perSecond})`);

        const client = await admin(group, 0);
        try {
            assert.deepStrictEqual(await client.call("CONFIG", "GET", "appendonly"), ["appendonly", "yes"], "AOF on before any CONFIG SET");
            await reapplyRedisConfig(group, 0);
            await until(() => aofSettled(client), 10_000, "AOF settled");
            assert.strictEqual(await client.dbsize(), present.size, "the operator's CONFIG SET keeps the data");
        } finally {
            client.disconnect();
        }
    });

    it("the old rendering (AOF only by the operator's CONFIG SET): the restart loses every key, and the next CONFIG SET the AOF", async () => {
        const group = await startGroup(quickSpec({ ...spec, name: "old", holdsData: false, commandArgs: [] }), root);
        groups.push(group);
        assert.deepStrictEqual(group.redis[0].args, [], "the operator's default command");
        const before = await admin(group, 0);
        await until(() => aofSettled(before), 10_000, "AOF switched on by CONFIG SET");
        before.disconnect();

        const { acked, present } = await crash(group, 3000);
        console.log(`      old rendering: ${acked.length} writes acknowledged, ${present.size} after the restart`);
        assert.ok(acked.length >= 2000, `only ${acked.length} writes acknowledged`);
        assert.strictEqual(present.size, 0, "the AOF is ignored at start");

        // The operator's next check: CONFIG SET appendonly yes rewrites the AOF from the empty dataset.
        await reapplyRedisConfig(group, 0);
        const client = await admin(group, 0);
        await until(() => aofSettled(client), 10_000, "AOF rewritten");
        client.disconnect();
        // Even a server then started with AOF from start-up finds nothing left.
        process.kill(group.redis[0].pid, "SIGKILL");
        assert.ok(await whenGone([group.redis[0].pid]));
        group.redis[0].args = operatorRedisArgs({ ...group.spec, holdsData: true });
        await restartRedis(group, 0, { operatorCheck: false });
        const after = await admin(group, 0);
        try {
            assert.strictEqual((await presentKeys(after, acked)).size, 0, "the AOF was overwritten");
        } finally {
            after.disconnect();
        }
    });
});
