// Full tier: the front (Debian's haproxy with front/haproxyConfig.ts and the master gate) in front
// of real groups on 127.0.0.1. A plain client given a lab URL writes again after the master is
// killed; a master that resumes after Sentinel replaced it never gets a new connection through the
// gated front, while the plain role-check front hands it some; without a majority of sentinels the
// gated front serves nothing.

import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import IORedis from "ioredis";
import { redisUrl } from "../../render/urls";
import { MASTER_NAME } from "../../facts/operator";
import { withConnection } from "../../health/connection";
import { LabFront, startFront, stopFront } from "../../lab/front";
import { LabGroup, startGroup, stopGroup } from "../../lab/redisLab";
import { StackLabGroup, startLab, stopLab } from "../../lab/stackLab";
import { quickSpec, until } from "../support/health";

const PYTHON = "/usr/bin/python3";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const haGroup = (name: string) => quickSpec({ name, redisCount: 3, sentinelCount: 3 });

// argv: url deadline_seconds; redis-py with a plain URL retries SET until it is taken, prints the
// seconds it took and the folder of the server that took it.
const REDIS_PY_RETRY = `
import sys, time, redis
url, deadline = sys.argv[1], float(sys.argv[2])
start = time.time()
while time.time() - start < deadline:
    try:
        client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        client.set("front:after-kill", "py")
        print(round(time.time() - start, 2), client.config_get("dir")["dir"])
        sys.exit(0)
    except redis.exceptions.RedisError:
        time.sleep(0.1)
sys.exit(1)
`;

/** The folder name of the server a new connection through `front` reaches, or null when none. */
async function reached(front: LabFront, password: string): Promise<string | null> {
    return withConnection(front, { password, timeoutMs: 1000 }, async (client) =>
        path.basename(((await client.config("GET", "dir")) as string[])[1]),
    ).catch(() => null);
}

async function masterAddress(group: LabGroup): Promise<string> {
    const sentinel = new IORedis({ port: group.sentinels[1].port, lazyConnect: true });
    try {
        await sentinel.connect();
        return ((await sentinel.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME)) as string[]).join(":");
    } finally {
        sentinel.disconnect();
    }
}

describe("full: the front", function () {
    this.timeout(120_000);
    let root: string;
    before(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), "redis-ha-front-"))));
    after(() => fs.rmSync(root, { recursive: true, force: true }));

    it("a plain client on a lab URL writes again after the master is killed, on the new master", async () => {
        const labDir = path.join(root, "lab");
        const [group]: StackLabGroup[] = await startLab(labDir, "front", [haGroup("auth")]);
        const url = redisUrl(group.spec.password, `${group.front!.host}:${group.front!.port}`, 3);
        // A client connected before the kill, which only reconnects on errors.
        const kept = new IORedis(url, { commandTimeout: 1000, maxRetriesPerRequest: 1, retryStrategy: () => 100 });
        kept.on("error", () => undefined);
        try {
            await kept.set("front:before-kill", "1");
            process.kill(group.redis[0].pid, "SIGKILL");
            const python = spawnSync(PYTHON, ["-c", REDIS_PY_RETRY, url, "30"], { encoding: "utf8", timeout: 40_000 });
            assert.strictEqual(
                python.status,
                0,
                `redis-py never wrote through ${group.front!.host}:${group.front!.port}: ${python.stderr}`,
            );
            const [seconds, dir] = python.stdout.trim().split(" ");
            assert.notStrictEqual(path.basename(dir), "redis-0", "the write went to a new master");
            assert.ok(Number(seconds) < 15, `redis-py wrote again after ${seconds} s`);
            await until(
                async () => (await kept.set("front:kept", "1").catch(() => null)) === "OK",
                15_000,
                "the kept connection writes again",
            );
            const [, keptDir] = (await kept.config("GET", "dir")) as string[];
            assert.strictEqual(path.basename(keptDir), path.basename(dir));
        } finally {
            kept.disconnect();
            await stopLab(labDir);
        }
    });

    it("a master resumed after Sentinel replaced it gets no new connection through the gated front; the plain role check hands it some", async () => {
        // The stacks' Sentinel timing: the front's check notices the hang before Sentinel does.
        const group = await startGroup({ ...haGroup("hang"), downAfterMilliseconds: 5000, failoverTimeout: 10_000 }, root);
        const gated = await startFront(group, { dir: path.join(group.dir, "gated") });
        const plain = await startFront(group, { dir: path.join(group.dir, "plain"), gate: false });
        try {
            const old = `127.0.0.1:${group.redis[0].port}`;
            assert.strictEqual(await reached(gated, group.spec.password), "redis-0");
            process.kill(group.redis[0].pid, "SIGSTOP");
            await until(async () => (await masterAddress(group)) !== old, 30_000, "Sentinel's switch");
            // Resumed at once: the gate held it out when its check failed, seconds before the switch.
            process.kill(group.redis[0].pid, "SIGCONT");
            const seen = { gated: new Set<string | null>(), plain: new Set<string | null>() };
            const oldClaims = new IORedis({ port: group.redis[0].port, password: group.spec.password });
            oldClaims.on("error", () => undefined);
            let claimedMaster = false;
            // While the resumed master still says it is master (Sentinel demotes it some seconds later).
            for (let i = 0; i < 80; i++) {
                seen.gated.add(await reached(gated, group.spec.password));
                seen.plain.add(await reached(plain, group.spec.password));
                claimedMaster ||= /role:master/.test((await oldClaims.info("replication").catch(() => "")) as string);
                await sleep(50);
            }
            oldClaims.disconnect();
            assert.ok(claimedMaster, "the resumed master claimed to be master during the test");
            assert.ok(!seen.gated.has("redis-0"), `the gated front reached: ${[...seen.gated].join(", ")}`);
            assert.ok(seen.plain.has("redis-0"), `the plain front reached: ${[...seen.plain].join(", ")}`);
        } finally {
            stopFront(gated);
            stopFront(plain);
            await stopGroup(group);
        }
    });

    it("serves nothing while no majority of sentinels names a master, and again once one does", async () => {
        const group = await startGroup(haGroup("quorum"), root);
        const front = await startFront(group, { dir: path.join(group.dir, "front") });
        try {
            assert.strictEqual(await reached(front, group.spec.password), "redis-0");
            for (const sentinel of group.sentinels.slice(1)) process.kill(sentinel.pid, "SIGSTOP");
            await until(async () => (await reached(front, group.spec.password)) === null, 10_000, "the gate closing");
            for (const sentinel of group.sentinels.slice(1)) process.kill(sentinel.pid, "SIGCONT");
            await until(async () => (await reached(front, group.spec.password)) === "redis-0", 10_000, "the gate opening again");
        } finally {
            stopFront(front);
            await stopGroup(group);
        }
    });
});
