import * as assert from "assert";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { checkOnce } from "../../providers/checks";
import { failoverPodSelector, openForwardedTarget, PodEndpoint } from "../../providers/kubeTransport";
import { LabGroup, labExpectations, startGroup, stopGroup } from "../../tools/redisLab";

describe("providers: forwarded transport", function () {
    this.timeout(60_000);
    let root: string;
    let group: LabGroup;

    before(async () => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "redis-ha-forward-"));
        group = await startGroup(
            { name: "streams", redisCount: 2, sentinelCount: 1, password: "fwd-pw", maxmemory: "256mb", maxmemoryPolicy: "noeviction", appendonly: false, downAfterMilliseconds: 1000, failoverTimeout: 3000, masterName: "mymaster" },
            root,
        );
    });
    after(() => {
        stopGroup(group);
        fs.rmSync(root, { recursive: true, force: true });
    });

    it("selects the operator's pods of one RedisFailover", () => {
        assert.strictEqual(failoverPodSelector("auth-redis"), "app.kubernetes.io/part-of=redis-failover,app.kubernetes.io/name=auth-redis");
    });

    it("runs every check through local forwarders, mapping the addresses Sentinel reports", async () => {
        // The sentinel "pod" has an address this machine cannot reach; only its forwarder can.
        const endpoints: PodEndpoint[] = [
            { pod: "rfs-streams-redis-0", ip: "10.244.9.9", port: 26379, component: "sentinel" },
            ...group.redis.map((r, i): PodEndpoint => ({ pod: `rfr-streams-redis-${i}`, ip: "127.0.0.1", port: r.port, component: "redis" })),
        ];
        const ports = new Map<string, number>([["rfs-streams-redis-0", group.sentinels[0].port], ...group.redis.map((r, i): [string, number] => [`rfr-streams-redis-${i}`, r.port])]);
        const forwarded: string[] = [];
        const opened = await openForwardedTarget(
            endpoints,
            (endpoint, socket) => {
                forwarded.push(endpoint.pod);
                const upstream = net.connect(ports.get(endpoint.pod)!, "127.0.0.1");
                socket.pipe(upstream).pipe(socket);
                upstream.on("error", () => socket.destroy());
            },
            { password: "fwd-pw" },
        );
        try {
            assert.ok(opened.target.sentinels.every((s) => s.host === "127.0.0.1" && s.port !== 26379));
            const report = await checkOnce(opened.target, labExpectations(group));
            assert.deepStrictEqual(report.checks.filter((c) => !c.ok), []);
            assert.ok(forwarded.includes("rfs-streams-redis-0") && forwarded.includes("rfr-streams-redis-0") && forwarded.includes("rfr-streams-redis-1"));
            assert.throws(() => opened.target.dial!({ host: "10.1.1.1", port: 6379 }), /no pod of this RedisFailover has address 10.1.1.1:6379/);
        } finally {
            await opened.close();
        }
    });
});
