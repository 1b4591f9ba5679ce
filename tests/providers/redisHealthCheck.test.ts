import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import IORedis from "ioredis";
import { MASTER_NAME, podSelector, SENTINEL_PORT } from "../../facts/operator";
import { parseEndpoint } from "../../health/connection";
import { LabGroup, startGroup, stopGroup } from "../../lab/redisLab";
import { labKubeconfig, quickSpec } from "../support/health";
import { recordResources, SECRET_MASK } from "../../plan/mockRuntime";
import { HealthCheckInputs, healthCheckProvider, RedisHealthCheck, runHealthCheck } from "../../providers/redisHealthCheck";
import { PROJECT_DIR } from "../support/stacks";

describe("providers: RedisHealthCheck (dynamic provider)", function () {
    this.timeout(60_000);
    let root: string;
    let group: LabGroup;
    let inputs: HealthCheckInputs;

    before(async () => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "redis-ha-provider-"));
        group = await startGroup(
            quickSpec({
                name: "cache",
                redisCount: 3,
                sentinelCount: 3,
                password: "provider-secret-pw",
                maxmemory: "512mb",
                maxmemoryPolicy: "allkeys-lru",
            }),
            root,
        );
        inputs = {
            sentinels: group.sentinels.map((s) => `127.0.0.1:${s.port}`),
            masterName: MASTER_NAME,
            expectPolicy: "allkeys-lru",
            expectMaxmemoryBytes: 512 * 1024 * 1024,
            expectRedis: 3,
            expectSentinels: 3,
            password: "provider-secret-pw",
            timeoutSeconds: 5,
        };
    });
    after(async () => {
        await stopGroup(group);
        fs.rmSync(root, { recursive: true, force: true });
    });

    /**
     * Serializes the provider as Pulumi does, then runs `method` in a plain node process (no ts-node).
     * `ms` is how long the method took, timed in that process: its start-up is left out.
     */
    async function inSerializedProvider(method: "create" | "update", args: HealthCheckInputs) {
        const serialized = await pulumi.runtime.serializeFunction(() => healthCheckProvider, { allowSecrets: false });
        assert.ok(!serialized.text.includes("provider-secret-pw"), "no secret captured in the serialized provider");
        const file = path.join(root, `provider-${method}.js`);
        fs.writeFileSync(file, serialized.text);
        const call = method === "create" ? "p.create(inputs)" : "p.update('id', {}, inputs)";
        const msFile = `${file}.ms`;
        const script = `const p = require(${JSON.stringify(file)}).${serialized.exportName}(); const inputs = ${JSON.stringify(args)};
            const took = () => require("fs").writeFileSync(${JSON.stringify(msFile)}, String(Date.now() - started));
            const started = Date.now();
            ${call}.then((r) => { took(); console.log(JSON.stringify(r)); }, (e) => { took(); console.error(e.message); process.exit(1); });`;
        // Not spawnSync: a test may serve the Kubernetes API from this process meanwhile.
        const child = spawn(process.execPath, ["-e", script], {
            timeout: 30_000,
            env: { ...process.env, NODE_PATH: path.join(PROJECT_DIR, "node_modules"), NODE_OPTIONS: "" },
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (data) => (stdout += data));
        child.stderr.on("data", (data) => (stderr += data));
        const status = await new Promise<number | null>((resolve) => child.once("close", resolve));
        const ms = fs.existsSync(msFile) ? Number(fs.readFileSync(msFile, "utf8")) : NaN;
        fs.rmSync(msFile, { force: true });
        return { status, stdout, stderr, ms };
    }

    it("survives Pulumi's function serialization and checks a real group from a fresh process", async () => {
        const result = await inSerializedProvider("create", inputs);
        assert.strictEqual(result.status, 0, result.stderr);
        const { id, outs } = JSON.parse(result.stdout.trim().split("\n").pop()!);
        assert.match(id, /^sentinels 127\.0\.0\.1:\d+/);
        assert.strictEqual(outs.master, `127.0.0.1:${group.redis[0].port}`);
        assert.strictEqual(outs.checks.length, 14);
        assert.ok(outs.checks.every((c: { ok: boolean }) => c.ok));
        assert.strictEqual(outs.expectPolicy, "allkeys-lru");
        assert.ok(!result.stdout.includes("provider-secret-pw"), "outputs hold no password");
    });

    it("fails the update, naming what differs, when the group is not what was asked for", async () => {
        const replica = new IORedis({ host: "127.0.0.1", port: group.redis[1].port, password: "provider-secret-pw", lazyConnect: true });
        await replica.connect();
        await replica.config("SET", "maxmemory-policy", "noeviction");
        try {
            const result = await inSerializedProvider("update", { ...inputs, timeoutSeconds: 2 });
            assert.strictEqual(result.status, 1);
            assert.match(
                result.stderr,
                new RegExp(
                    `is not what was asked for after 2s:\\n  - maxmemory-policy: expected allkeys-lru; 127.0.0.1:${group.redis[1].port} has noeviction`,
                ),
            );
            assert.match(result.stdout, /not healthy after \d+s of 2s: maxmemory-policy/, "progress is logged while waiting");
            // The update's own time, from the provider's process: it waited its 2 s and no longer.
            // (Serializing and starting that process are left out; a busy machine stretches them.)
            assert.ok(result.ms >= 2000 && result.ms < 2000 + 3000, `the update took ${result.ms} ms`);
        } finally {
            await replica.config("SET", "maxmemory-policy", "allkeys-lru");
            replica.disconnect();
        }
    });

    /** A Kubernetes API server answering the pod and Service lists, and what it was asked. */
    async function kubeApi(serviceItems: Array<[string, string]>) {
        const asked: string[] = [];
        const api = http.createServer((request, response) => {
            asked.push(request.url ?? "");
            const kind = /\/services/.test(request.url ?? "") ? "ServiceList" : "PodList";
            const items = kind === "PodList" ? [] : serviceItems.map(([name, type]) => ({ metadata: { name }, spec: { type } }));
            response.setHeader("content-type", "application/json");
            response.end(JSON.stringify({ kind, apiVersion: "v1", metadata: {}, items }));
        });
        await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
        const kubeconfig = labKubeconfig(api);
        const { sentinels: _direct, ...rest } = inputs;
        const kubeInputs: HealthCheckInputs = { ...rest, kubernetes: { namespace: "redis", name: "auth-redis", kubeconfig } };
        return { asked, kubeInputs, close: () => new Promise((resolve) => api.close(resolve)) };
    }

    it("waits for the pods of a RedisFailover through the Kubernetes API from a fresh process, naming what is missing", async () => {
        const api = await kubeApi([["rfs-auth-redis", "LoadBalancer"]]);
        try {
            const result = await inSerializedProvider("create", { ...api.kubeInputs, timeoutSeconds: 1, allowExternalServices: true });
            assert.strictEqual(result.status, 1, result.stdout + result.stderr);
            assert.match(
                result.stderr,
                /is not what was asked for after 1s:\n {2}- pods: 0\/3 sentinel pods running, 0\/3 redis pods running\n {2}- services: missing rfrm-auth-redis, rfrs-auth-redis\n {2}- 14 checks not run \(no sentinel pod running\)$/m,
            );
            assert.match(
                result.stdout,
                /^redis-ha health \(kubernetes redis\/auth-redis\): not healthy after 0s of 1s: pods: 0\/3 sentinel pods running/m,
            );
            const paths = api.asked.map((u) => new URL(u, "http://api"));
            assert.ok(paths.filter((u) => u.pathname === "/api/v1/namespaces/redis/pods").length >= 2, "the pods are listed every round");
            for (const url of paths) {
                assert.match(url.pathname, /^\/api\/v1\/namespaces\/redis\/(pods|services)$/);
                assert.strictEqual(url.searchParams.get("labelSelector"), podSelector("auth-redis"));
            }
        } finally {
            await api.close();
        }
    });

    it("fails the services check on an external Service unless allowExternalServices", async () => {
        const api = await kubeApi([
            ["rfrm-auth-redis", "ClusterIP"],
            ["rfrs-auth-redis", "ClusterIP"],
            ["rfs-auth-redis", "LoadBalancer"],
        ]);
        try {
            await assert.rejects(
                runHealthCheck({ ...api.kubeInputs, timeoutSeconds: 0.3 }, () => undefined),
                /\n {2}- services: rfs-auth-redis is LoadBalancer \(external Services not allowed\)\n/,
            );
            await assert.rejects(
                runHealthCheck({ ...api.kubeInputs, timeoutSeconds: 0.3, allowExternalServices: true }, () => undefined),
                (error: Error) => !/services:/.test(error.message) && /pods: 0\/3 sentinel pods running/.test(error.message),
            );
        } finally {
            await api.close();
        }
    });

    it("re-runs when an expectation changes, not otherwise", async () => {
        const olds = { ...inputs, reachedVia: `sentinels ${inputs.sentinels!.join(",")}` };
        assert.strictEqual((await healthCheckProvider.diff!("id", olds, inputs)).changes, false);
        assert.strictEqual((await healthCheckProvider.diff!("id", olds, { ...inputs, expectPolicy: "noeviction" })).changes, true);
        assert.strictEqual((await healthCheckProvider.diff!("id", olds, { ...inputs, expectRedis: 1 })).changes, true);
        assert.deepStrictEqual((await healthCheckProvider.diff!("id", olds, { ...inputs, expectRedis: 1 })).replaces, []);
        // State written before allowExternalServices existed: absent is false.
        assert.strictEqual((await healthCheckProvider.diff!("id", olds, { ...inputs, allowExternalServices: false })).changes, false);
        assert.strictEqual((await healthCheckProvider.diff!("id", olds, { ...inputs, allowExternalServices: true })).changes, true);
    });

    it("re-runs when only the group revision changes, and when old state has none", async () => {
        const reachedVia = `sentinels ${inputs.sentinels!.join(",")}`;
        const revised = { ...inputs, groupRevision: "a".repeat(64) };
        const olds = { ...revised, reachedVia };
        assert.strictEqual((await healthCheckProvider.diff!("id", olds, revised)).changes, false);
        const changed = await healthCheckProvider.diff!("id", olds, { ...revised, groupRevision: "b".repeat(64) });
        assert.strictEqual(changed.changes, true);
        assert.deepStrictEqual(changed.replaces, []);
        // State written before groupRevision existed: re-run once (the safe direction).
        assert.strictEqual((await healthCheckProvider.diff!("id", { ...inputs, reachedVia }, revised)).changes, true);
    });

    it("parses sentinel addresses", () => {
        assert.deepStrictEqual(parseEndpoint(`rfs-auth-redis.redis.svc.cluster.local:${SENTINEL_PORT}`), {
            host: "rfs-auth-redis.redis.svc.cluster.local",
            port: SENTINEL_PORT,
        });
        assert.throws(() => parseEndpoint("no-port"), /not host:port/);
    });

    it("keeps the password secret in its inputs", async () => {
        const { resources } = await recordResources(
            { stack: "test" },
            () => new RedisHealthCheck("auth-redis-health", { ...inputs, password: "provider-secret-pw" }),
        );
        const check = resources.find((r) => r.name === "auth-redis-health")!;
        assert.strictEqual(check.type, "pulumi-nodejs:dynamic:Resource");
        assert.strictEqual(check.inputs.password, SECRET_MASK);
        assert.ok(!JSON.stringify(check.inputs).includes("provider-secret-pw"));
    });
});
