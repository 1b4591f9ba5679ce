import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { LABEL_COMPONENT, MASTER_NAME, podSelector, REDIS_PORT, SENTINEL_PORT } from "../../facts/operator";
import { checkOnce, openForwardedTarget, openKubeTarget, PodEndpoint } from "../../health";
import { LabGroup, labExpectations, startGroup, stopGroup } from "../../lab/redisLab";

describe("health: forwarded transport", function () {
    this.timeout(60_000);
    let root: string;
    let group: LabGroup;

    before(async () => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "redis-ha-forward-"));
        group = await startGroup(
            {
                name: "streams",
                redisCount: 2,
                sentinelCount: 1,
                password: "fwd-pw",
                maxmemory: "256mb",
                maxmemoryPolicy: "noeviction",
                appendonly: false,
                downAfterMilliseconds: 1000,
                failoverTimeout: 3000,
                replicaSyncDelaySeconds: 0,
                masterName: MASTER_NAME,
            },
            root,
        );
    });
    after(async () => {
        await stopGroup(group);
        fs.rmSync(root, { recursive: true, force: true });
    });

    it("runs every check through local forwarders, mapping the addresses Sentinel reports", async () => {
        // The sentinel "pod" has an address this machine cannot reach; only its forwarder can.
        const endpoints: PodEndpoint[] = [
            { pod: "rfs-streams-redis-0", ip: "10.244.9.9", port: SENTINEL_PORT, component: "sentinel" },
            ...group.redis.map((r, i): PodEndpoint => ({
                pod: `rfr-streams-redis-${i}`,
                ip: "127.0.0.1",
                port: r.port,
                component: "redis",
            })),
        ];
        const ports = new Map<string, number>([
            ["rfs-streams-redis-0", group.sentinels[0].port],
            ...group.redis.map((r, i): [string, number] => [`rfr-streams-redis-${i}`, r.port]),
        ]);
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
            assert.ok(opened.target.sentinels.every((s) => s.host === "127.0.0.1" && s.port !== SENTINEL_PORT));
            const report = await checkOnce(opened.target, labExpectations(group));
            assert.deepStrictEqual(
                report.checks.filter((c) => !c.ok),
                [],
            );
            assert.ok(
                forwarded.includes("rfs-streams-redis-0") &&
                    forwarded.includes("rfr-streams-redis-0") &&
                    forwarded.includes("rfr-streams-redis-1"),
            );
            assert.throws(
                () => opened.target.dial!({ host: "10.1.1.1", port: REDIS_PORT }),
                new RegExp(`no pod of this RedisFailover has address 10.1.1.1:${REDIS_PORT}`),
            );
        } finally {
            await opened.close();
        }
    });

    describe("through a Kubernetes API server", () => {
        let api: http.Server;
        let answer: { status: number; body: unknown };
        const asked: string[] = [];
        before(async () => {
            api = http.createServer((request, response) => {
                asked.push(request.url ?? "");
                response.statusCode = answer.status;
                response.setHeader("content-type", "application/json");
                response.end(JSON.stringify(answer.body));
            });
            await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
        });
        after(() => new Promise((resolve) => api.close(resolve)));

        const kubeconfig = () =>
            [
                "apiVersion: v1",
                "kind: Config",
                `clusters: [{name: lab, cluster: {server: "http://127.0.0.1:${(api.address() as net.AddressInfo).port}"}}]`,
                "users: [{name: lab, user: {token: lab-token}}]",
                "contexts: [{name: lab, context: {cluster: lab, user: lab}}]",
                "current-context: lab",
            ].join("\n");
        const pod = (name: string, component: string, ip?: string) => ({
            metadata: { name, labels: { [LABEL_COMPONENT]: component } },
            status: { podIP: ip },
        });

        it("forwards the running redis and sentinel pods of the RedisFailover, found by the operator's labels", async () => {
            const items = [
                pod("rfs-auth-redis-0", "sentinel", "10.244.1.5"),
                pod("rfr-auth-redis-0", "redis", "10.244.1.6"),
                pod("rfr-auth-redis-1", "redis"),
                pod("other", "exporter", "10.244.1.7"),
            ];
            answer = { status: 200, body: { kind: "PodList", apiVersion: "v1", metadata: {}, items } };
            const opened = await openKubeTarget({
                kubeconfig: kubeconfig(),
                namespace: "redis",
                name: "auth-redis",
                password: "pw",
                probeTimeoutMs: 300,
            });
            try {
                const url = new URL(asked[asked.length - 1], "http://api");
                assert.strictEqual(url.pathname, "/api/v1/namespaces/redis/pods");
                assert.strictEqual(url.searchParams.get("labelSelector"), podSelector("auth-redis"));
                assert.strictEqual(url.searchParams.get("fieldSelector"), "status.phase=Running");
                assert.strictEqual(opened.target.sentinels.length, 1);
                assert.strictEqual(opened.target.sentinels[0].host, "127.0.0.1");
                assert.strictEqual(opened.target.password, "pw");
                assert.strictEqual(opened.target.probeTimeoutMs, 300);
                const redis = await opened.target.dial!({ host: "10.244.1.6", port: REDIS_PORT });
                assert.strictEqual(redis.host, "127.0.0.1");
                assert.throws(
                    () => opened.target.dial!({ host: "10.244.1.7", port: REDIS_PORT }),
                    /no pod of this RedisFailover has address/,
                );
            } finally {
                await opened.close();
            }
        });

        it("names the RedisFailover when no sentinel pod runs, and the API server's reason when it refuses", async () => {
            answer = {
                status: 200,
                body: { kind: "PodList", apiVersion: "v1", metadata: {}, items: [pod("rfr-auth-redis-0", "redis", "10.244.1.6")] },
            };
            await assert.rejects(
                openKubeTarget({ kubeconfig: kubeconfig(), namespace: "redis", name: "auth-redis" }),
                /^Error: no running sentinel pod of RedisFailover redis\/auth-redis$/,
            );
            answer = {
                status: 403,
                body: {
                    kind: "Status",
                    apiVersion: "v1",
                    status: "Failure",
                    message: 'pods is forbidden: User "ci" cannot list resource "pods"',
                    reason: "Forbidden",
                    code: 403,
                },
            };
            await assert.rejects(
                openKubeTarget({ kubeconfig: kubeconfig(), namespace: "redis", name: "auth-redis" }),
                /^Error: listing the pods of RedisFailover redis\/auth-redis: 403 pods is forbidden: User "ci" cannot list resource "pods"$/,
            );
        });
    });
});
