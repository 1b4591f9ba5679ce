// Full tier: the redis pods' preStop hook (scripts/redis-shutdown.sh, as render/redisShutdown.ts
// renders it), run by the lab's operator model as the kubelet runs it: real /bin/sh and redis-cli
// against real Sentinel. The case that matters: the operator's pass deletes the master and, in the
// same pass, resets every sentinel (checker.go checkAndHealSentinels after UpdateRedisesPods).

import * as assert from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import IORedis from "ioredis";
import { redisShutdownScript } from "../../render/redisShutdown";
import { MASTER_NAME, sentinelServiceEnv } from "../../facts/operator";
import { withConnection } from "../../health/connection";
import { startMotionLab, stopMotionLab } from "../../lab/motionLab";
import { freePort, LabServer } from "../../lab/redisLab";
import { startService } from "../../lab/service";
import { quickSpec, serverCall } from "../support/health";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const namedMaster = async (sentinel: LabServer) =>
    ((await serverCall(sentinel, undefined, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME)) as string[]).join(":");

const alive = (pid: number) => {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
};

describe("full: the redis pods' preStop hook, with real Sentinel", function () {
    this.timeout(240_000);
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "redis-ha-shutdown-"));
    after(() => fs.rmSync(root, { recursive: true, force: true }));

    it("the lab's Sentinel Service sends each connection to a ready endpoint, and refuses one while none is", async () => {
        const backends = await Promise.all(
            [0, 1].map(async (n) => {
                const server = net.createServer((socket) => socket.end(`backend ${n}\n`));
                await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
                return { server, address: { host: "127.0.0.1", port: (server.address() as net.AddressInfo).port } };
            }),
        );
        let ready = backends.map((b) => b.address);
        const service = await startService({ host: "127.77.250.254", port: await freePort() }, async () => ready);
        const ask = () =>
            new Promise<string>((resolve) => {
                let text = "";
                const socket = net.connect(service.address.port, service.address.host);
                socket.on("data", (data) => (text += data));
                socket.on("error", () => undefined);
                socket.on("close", () => resolve(text.trim()));
            });
        try {
            const answers = new Set<string>();
            for (let i = 0; i < 40; i++) answers.add(await ask());
            assert.deepStrictEqual([...answers].sort(), ["backend 0", "backend 1"], "both endpoints are used");
            ready = [backends[1].address];
            for (let i = 0; i < 10; i++) assert.strictEqual(await ask(), "backend 1", "only ready endpoints");
            ready = [];
            assert.strictEqual(await ask(), "", "no ready endpoint: the connection is refused");
        } finally {
            await service.close();
            for (const b of backends) b.server.close();
        }
    });

    it("with no sentinel answering, stops after its bound and says so", async () => {
        const script = path.join(root, "shutdown.sh");
        fs.writeFileSync(script, redisShutdownScript("nothing-here", 2, 1));
        const service = sentinelServiceEnv("nothing-here");
        const closed = await freePort();
        const output = await new Promise<string>((resolve) =>
            execFile(
                "/bin/sh",
                [script],
                {
                    env: {
                        PATH: process.env.PATH,
                        [service.host]: "127.0.0.1",
                        [service.port]: String(closed),
                        REDIS_PORT: String(closed),
                    },
                },
                (_error, stdout, stderr) => resolve(`${stdout}${stderr}`),
            ),
        );
        assert.match(output, /no failover within 2 s \(Sentinel names 'nothing'\); stopping anyway/);
    });

    it("a master deleted in the pass that resets every sentinel hands over before it stops: no acknowledged write lost", async () => {
        const lines: string[] = [];
        const spec = quickSpec({ name: "handover", redisCount: 3, sentinelCount: 3, minReplicasToWrite: 1 });
        const lab = await startMotionLab(spec, root, { block: 61, log: (line) => lines.push(line) });
        const { model, front } = lab;
        const acked: string[] = [];
        let writing = true;
        const writer = (async () => {
            for (let n = 0; writing; n++) {
                const ok = await withConnection(front, { password: spec.password, timeoutMs: 1000 }, (c) => c.set(`k${n}`, "1")).catch(
                    () => null,
                );
                if (ok === "OK") acked.push(`k${n}`);
                await sleep(20);
            }
        })();
        try {
            await sleep(1000);
            const sentinel = model.sentinels[0].server;
            const before = await namedMaster(sentinel);
            const index = model.redis.findIndex((pod) => `${pod.server.host}:${pod.server.port}` === before);
            const oldPid = model.redis[index].server.pid;
            // What the operator's pass does when its sentinels count a replaced pod: SENTINEL RESET * on each.
            for (const pod of model.sentinels) await serverCall(pod.server, undefined, "SENTINEL", "RESET", "*");
            // The operator's own hook asks once: right after a reset Sentinel knows no replica to promote.
            await assert.rejects(serverCall(sentinel, undefined, "SENTINEL", "FAILOVER", MASTER_NAME), /NOGOODSLAVE/);
            const deleted = model.recreateRedis(index);
            let aliveAtSwitch: boolean | undefined;
            while (aliveAtSwitch === undefined) {
                if ((await namedMaster(sentinel).catch(() => before)) !== before) aliveAtSwitch = alive(oldPid);
                else await sleep(50);
            }
            await deleted;
            await sleep(2000);
            writing = false;
            await writer;
            assert.strictEqual(aliveAtSwitch, true, "Sentinel named a new master while the old one still ran");
            assert.ok(
                lines.some((line) => /preStop .*asked Sentinel for a failover/.test(line)),
                lines.join("\n"),
            );
            const [host, port] = (await namedMaster(sentinel)).split(":");
            const client = new IORedis({ host, port: Number(port), password: spec.password });
            try {
                const results = (await client.pipeline(acked.map((key) => ["exists", key])).exec()) ?? [];
                assert.ok(acked.length > 100, `${acked.length} writes acknowledged`);
                assert.strictEqual(results.filter(([, value]) => value !== 1).length, 0, "acknowledged writes lost");
            } finally {
                client.disconnect();
            }
        } finally {
            writing = false;
            await writer;
            await stopMotionLab(lab);
        }
    });
});
