import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { LABEL_COMPONENT, MASTER_NAME, podSelector, REDIS_PORT, SENTINEL_PORT } from "../../facts/operator";
import { checkOnce } from "../../health/wait";
import { openForwardedTarget, openKubeTarget, PodEndpoint } from "../../health/kubernetes";
import { LabGroup, labExpectations, startGroup, stopGroup } from "../../lab/redisLab";
import { labKubeconfig, quickSpec } from "../support/health";

describe("health: forwarded transport", function () {
    this.timeout(60_000);
    let root: string;
    let group: LabGroup;

    before(async () => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "redis-ha-forward-"));
        group = await startGroup(quickSpec({ name: "streams", password: "fwd-pw" }), root);
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
        const answers: Record<"pods" | "services", { status: number; body: unknown } | "never"> = {
            pods: { status: 200, body: {} },
            services: { status: 200, body: {} },
        };
        const asked: string[] = [];
        const unanswered: http.ServerResponse[] = [];
        before(async () => {
            api = http.createServer((request, response) => {
                asked.push(request.url ?? "");
                const answer = answers[/\/services/.test(request.url ?? "") ? "services" : "pods"];
                if (answer === "never") return void unanswered.push(response);
                response.statusCode = answer.status;
                response.setHeader("content-type", "application/json");
                response.end(JSON.stringify(answer.body));
            });
            await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
        });
        after(() => {
            for (const response of unanswered) response.destroy();
            return new Promise((resolve) => api.close(resolve));
        });

        const kubeconfig = () => labKubeconfig(api);
        const pod = (name: string, component: string, ip?: string, extra: { ready?: boolean; deleting?: boolean } = {}) => ({
            metadata: {
                name,
                labels: { [LABEL_COMPONENT]: component },
                ...(extra.deleting ? { deletionTimestamp: "2026-01-01T00:00:00Z" } : {}),
            },
            status: {
                podIP: ip,
                phase: ip ? "Running" : "Pending",
                conditions: [{ type: "Ready", status: ip && extra.ready !== false ? "True" : "False" }],
            },
        });
        const pods = (...items: unknown[]) => ({ status: 200, body: { kind: "PodList", apiVersion: "v1", metadata: {}, items } });
        const services = (...items: Array<[string, string]>) => ({
            status: 200,
            body: {
                kind: "ServiceList",
                apiVersion: "v1",
                metadata: {},
                items: items.map(([name, type]) => ({ metadata: { name }, spec: { type } })),
            },
        });
        const EXPECTED = { masterName: MASTER_NAME, maxmemoryPolicy: "noeviction", redisCount: 2, sentinelCount: 1 };
        const open = () =>
            openKubeTarget({
                kubeconfig: kubeconfig(),
                namespace: "redis",
                name: "auth-redis",
                password: "pw",
                probeTimeoutMs: 300,
                apiTimeoutMs: 500,
            });

        it("lists the pods and Services by the operator's labels every round, forwarding pods as they come and move", async () => {
            answers.pods = pods(
                pod("rfs-auth-redis-0", "sentinel", "10.244.1.5"),
                pod("rfr-auth-redis-0", "redis", "10.244.1.6"),
                pod("rfr-auth-redis-1", "redis"),
                pod("other", "exporter", "10.244.1.7"),
            );
            answers.services = services(["rfrm-auth-redis", "ClusterIP"], ["rfrs-auth-redis", "ClusterIP"], ["rfs-auth-redis", "NodePort"]);
            const opened = await open();
            try {
                asked.length = 0;
                const first = await opened.round(EXPECTED);
                const urls = asked.map((u) => new URL(u, "http://api")).sort((a, b) => a.pathname.localeCompare(b.pathname));
                assert.deepStrictEqual(
                    urls.map((u) => [u.pathname, u.searchParams.get("labelSelector"), u.searchParams.get("fieldSelector")]),
                    [
                        ["/api/v1/namespaces/redis/pods", podSelector("auth-redis"), null],
                        ["/api/v1/namespaces/redis/services", podSelector("auth-redis"), null],
                    ],
                );
                assert.deepStrictEqual(
                    first.checks?.map((c) => [c.name, c.ok, c.detail]),
                    [
                        ["pods", false, "1/1 sentinel pods running, 1/2 redis pods running (rfr-auth-redis-1 Pending)"],
                        ["services", false, "rfs-auth-redis is NodePort (external Services not allowed)"],
                    ],
                );
                assert.strictEqual(first.stop, undefined);
                assert.deepStrictEqual([first.target.password, first.target.probeTimeoutMs], ["pw", 300]);
                assert.strictEqual(first.target.sentinels.length, 1);
                assert.strictEqual((await first.target.dial!({ host: "10.244.1.6", port: REDIS_PORT })).host, "127.0.0.1");
                assert.throws(
                    () => first.target.dial!({ host: "10.244.1.7", port: REDIS_PORT }),
                    /no pod of this RedisFailover has address/,
                );

                // The sentinel pod restarts with a new IP, the second redis runs, one is being deleted.
                answers.pods = pods(
                    pod("rfs-auth-redis-0", "sentinel", "10.244.2.9"),
                    pod("rfr-auth-redis-0", "redis", "10.244.1.6"),
                    pod("rfr-auth-redis-1", "redis", "10.244.1.8"),
                    pod("rfr-auth-redis-9", "redis", "10.244.1.9", { deleting: true }),
                );
                const second = await opened.round(EXPECTED);
                assert.deepStrictEqual(second.checks?.[0], {
                    name: "pods",
                    ok: true,
                    detail: "1/1 sentinel pods running, 2/2 redis pods running",
                });
                assert.notDeepStrictEqual(second.target.sentinels, first.target.sentinels, "the moved sentinel is forwarded anew");
                assert.ok(second.target.dial!({ host: "10.244.1.8", port: REDIS_PORT }));
                assert.throws(() => second.target.dial!({ host: "10.244.1.9", port: REDIS_PORT }), /no pod of this RedisFailover/);
                // Until no sentinel pod runs: the servers are not asked.
                answers.pods = pods(pod("rfr-auth-redis-0", "redis", "10.244.1.6", { ready: false }));
                const third = await opened.round(EXPECTED);
                assert.strictEqual(third.stop, "no sentinel pod running");
                assert.strictEqual(
                    third.checks?.[0].detail,
                    "0/1 sentinel pods running, 0/2 redis pods running (rfr-auth-redis-0 not ready)",
                );
            } finally {
                await opened.close();
            }
        });

        it("ends at once when the API server refuses the credentials, and waits through other failures", async () => {
            answers.services = services();
            answers.pods = {
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
            const opened = await open();
            try {
                await assert.rejects(
                    checkOnce(opened, EXPECTED),
                    /^Error: listing the pods of RedisFailover redis\/auth-redis: 403 pods is forbidden: User "ci" cannot list resource "pods"$/,
                );
                answers.pods = { status: 503, body: { kind: "Status", apiVersion: "v1", message: "etcd leader changed", code: 503 } };
                const report = await checkOnce(opened, EXPECTED);
                assert.deepStrictEqual(
                    report.checks.slice(0, 3).map((c) => c.detail),
                    [
                        "cannot list pods: listing the pods of RedisFailover redis/auth-redis: 503 etcd leader changed",
                        "missing rfrm-auth-redis, rfrs-auth-redis, rfs-auth-redis",
                        "not checked: the pods could not be listed",
                    ],
                );
            } finally {
                await opened.close();
            }
        });

        it("an API server that never answers a listing fails it at the call's deadline, and the round goes on", async () => {
            answers.pods = "never";
            answers.services = services(
                ["rfrm-auth-redis", "ClusterIP"],
                ["rfrs-auth-redis", "ClusterIP"],
                ["rfs-auth-redis", "ClusterIP"],
            );
            const opened = await open();
            try {
                const report = await checkOnce(opened, EXPECTED);
                assert.deepStrictEqual(
                    report.checks.slice(0, 2).map((c) => [c.name, c.ok, c.detail]),
                    [
                        [
                            "pods",
                            false,
                            "cannot list pods: listing the pods of RedisFailover redis/auth-redis: the API server: no answer within 500 ms",
                        ],
                        ["services", true, "rfrm-auth-redis, rfrs-auth-redis, rfs-auth-redis present, none exposed"],
                    ],
                );
            } finally {
                await opened.close();
            }
        });
    });
});
