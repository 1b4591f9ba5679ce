// The forwards' own failures: what the kubelet says on a port-forward's error channel (client-node
// hands it over as a stream), and how a round reports it.

import * as assert from "assert";
import * as net from "net";
import { MASTER_NAME, REDIS_PORT, SENTINEL_PORT } from "../../facts/operator";
import { checkOnce } from "../../health/wait";
import { forwardPool, openPodTarget } from "../../health/kubernetes";
import { kubeForwarder } from "../../health/kubernetes";

describe("health: port-forward failures", () => {
    it("reports what the kubelet says on a forward's error channel, and ends that connection", async () => {
        // As client-node's PortForward hands the error channel over: the port's two bytes already dropped.
        const fake = {
            portForward: async (_ns: string, pod: string, ports: number[], _out: unknown, err: NodeJS.WritableStream | null) => {
                err?.write(Buffer.from(""));
                err?.write(
                    Buffer.from(
                        `error forwarding port ${ports[0]} to pod ${pod}, uid : failed to connect to localhost:${ports[0]}: connection refused`,
                    ),
                );
                return undefined as never;
            },
        };
        const pool = forwardPool(kubeForwarder(fake, "redis"));
        await pool.sync([{ pod: "rfr-auth-redis-0", ip: "10.244.1.6", port: REDIS_PORT, component: "redis" }]);
        try {
            const local = pool.local({ host: "10.244.1.6", port: REDIS_PORT })!;
            const socket = net.connect(local.port, local.host);
            socket.on("error", () => undefined);
            await new Promise((resolve) => socket.once("close", resolve));
            assert.deepStrictEqual(pool.failures(), [
                `rfr-auth-redis-0:${REDIS_PORT}: error forwarding port ${REDIS_PORT} to pod rfr-auth-redis-0, uid : failed to connect to localhost:${REDIS_PORT}: connection refused`,
            ]);
            assert.deepStrictEqual(pool.failures(), [], "reported once");
        } finally {
            await pool.close();
        }
    });

    it("ends the round's report with the forwards' failures, as a failing port-forward check", async () => {
        const opened = openPodTarget({
            name: "auth-redis",
            listPods: async () => [{ name: "rfs-auth-redis-0", ip: "10.244.1.5", component: "sentinel", phase: "Running", ready: true }],
            listServices: async () => [],
            forward: (endpoint, socket, report) => {
                report(`${endpoint.pod}:${endpoint.port}: error forwarding port`);
                socket.destroy();
            },
            probeTimeoutMs: 300,
        });
        try {
            const report = await checkOnce(opened, {
                masterName: MASTER_NAME,
                maxmemoryPolicy: "noeviction",
                redisCount: 2,
                sentinelCount: 1,
            });
            const last = report.checks[report.checks.length - 1];
            assert.deepStrictEqual(last, {
                name: "port-forward",
                ok: false,
                detail: `the kubelet said: rfs-auth-redis-0:${SENTINEL_PORT}: error forwarding port`,
            });
            assert.strictEqual(report.healthy, false);
        } finally {
            await opened.close();
        }
    });
});
