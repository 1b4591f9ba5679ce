// Full tier: the model of the operator's master Service (lab/relabelProxy.ts) against a real group.

import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import IORedis from "ioredis";
import { LabGroup, startGroup, stopGroup } from "../../lab/redisLab";
import { operatorLabelTarget, startRelabelProxy } from "../../lab/relabelProxy";
import { quickSpec } from "../support/health";

describe("full: the model of the operator's master Service", function () {
    this.timeout(60_000);
    let root: string;
    let group: LabGroup;
    const servers = () => group.redis.map((s) => ({ host: "127.0.0.1", port: s.port }));
    before(async () => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "redis-ha-relabel-"));
        group = await startGroup(quickSpec({ name: "relabel", redisCount: 3 }), root);
    });
    after(async () => {
        await stopGroup(group);
        fs.rmSync(root, { recursive: true, force: true });
    });

    it("labels the one server that says it is master, skipping one that does not answer", async () => {
        assert.deepStrictEqual(await operatorLabelTarget(servers(), group.spec.password), servers()[0]);
        process.kill(group.redis[1].pid, "SIGSTOP");
        try {
            assert.deepStrictEqual(await operatorLabelTarget(servers(), group.spec.password), servers()[0]);
        } finally {
            process.kill(group.redis[1].pid, "SIGCONT");
        }
    });

    it("labels nothing while two servers say they are master (checker.go: fix manually)", async () => {
        const replica = new IORedis({ port: group.redis[2].port, password: group.spec.password });
        try {
            await replica.call("REPLICAOF", "NO", "ONE");
            assert.strictEqual(await operatorLabelTarget(servers(), group.spec.password), undefined);
        } finally {
            await replica.call("REPLICAOF", "127.0.0.1", String(group.redis[0].port));
            replica.disconnect();
        }
    });

    it("forwards to the labelled server, and moves only when its check loop runs", async () => {
        const proxy = await startRelabelProxy({
            listen: { host: "127.0.0.1", port: 0 },
            servers: servers().reverse(),
            password: group.spec.password,
            intervalMs: 300,
            phaseMs: 300,
        });
        const portBehind = async () => {
            const client = new IORedis({ ...proxy.address(), password: group.spec.password, lazyConnect: true });
            await client.connect();
            const [, port] = (await client.config("GET", "port")) as string[];
            client.disconnect();
            return Number(port);
        };
        try {
            // Starts on the first server it was given (a replica here), as a label set before a failover.
            assert.strictEqual(await portBehind(), group.redis[2].port);
            await new Promise((resolve) => setTimeout(resolve, 1500));
            assert.strictEqual(await portBehind(), group.redis[0].port);
        } finally {
            await proxy.close();
        }
    });
});
