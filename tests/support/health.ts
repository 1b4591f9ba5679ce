// Helpers of the tests that run the health checks against real Redis groups.

import * as assert from "assert";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import IORedis from "ioredis";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { MASTER_NAME, masterServiceName, redisName, replicaServiceName, sentinelName } from "../../facts/operator";
import { CheckResult, HealthReport } from "../../health/report";
import { Endpoint } from "../../health/connection";
import { Forwarder } from "../../health/kubernetes";
import { PodInfo, ServiceInfo } from "../../health/cluster";
import { withClient } from "../../lab/operator/steps";
import { freePort, GroupSpec, HOST, LabGroup, LabServer } from "../../lab/redisLab";
import { testPort } from "./ports";
import { PROJECT_DIR } from "./stacks";

/**
 * A small group with short Sentinel timings and no wait before a replica's first sync: for tests
 * that are not about timings. Override what the test needs. Its ports are this process's own
 * (support/ports.ts), unless the overrides give them.
 */
export function quickSpec(overrides: Partial<GroupSpec> = {}): GroupSpec {
    const spec: GroupSpec = {
        name: "auth",
        redisCount: 2,
        sentinelCount: 1,
        password: "lab-password-1",
        maxmemory: "256mb",
        maxmemoryPolicy: "noeviction",
        appendonly: false,
        downAfterMilliseconds: 1000,
        failoverTimeout: 3000,
        replicaSyncDelaySeconds: 0,
        masterName: MASTER_NAME,
        ...overrides,
    };
    if (!overrides.ports) {
        const redis = Array.from({ length: spec.redisCount }, testPort);
        const sentinels = Array.from({ length: spec.sentinelCount }, testPort);
        // Where no block was left, startGroup takes freePort's for those it is not given.
        spec.ports = { redis: redis.filter((port) => port !== undefined), sentinels: sentinels.filter((port) => port !== undefined) };
    }
    return spec;
}

/**
 * A port nothing listens on, that no other process is given (support/ports.ts): for a test that
 * needs it to stay so for seconds (a sentinel address where nobody answers) or starts a server
 * there later.
 */
export async function quietPort(): Promise<number> {
    return testPort() ?? freePort();
}

export function check(report: HealthReport, name: CheckResult["name"]): CheckResult {
    const found = report.checks.find((c) => c.name === name);
    assert.ok(found, `no check ${name}`);
    return found;
}

export function failing(report: HealthReport): string[] {
    return report.checks.filter((c) => !c.ok).map((c) => c.name);
}

export async function admin(group: LabGroup, index: number): Promise<IORedis> {
    const client = new IORedis({
        host: "127.0.0.1",
        port: group.redis[index].port,
        password: group.spec.password,
        lazyConnect: true,
        maxRetriesPerRequest: 0,
    });
    await client.connect();
    return client;
}

export async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
    const started = Date.now();
    const value = await work();
    return { value, ms: Date.now() - started };
}

export async function until(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition().catch(() => false))) {
        if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
}

/**
 * A lab group's servers as the pods of RedisFailover `failover`, running and ready. Their address
 * is the server's own (127.0.0.1 and its port), which is what Sentinel reports.
 */
export function labPods(group: LabGroup, failover: string): PodInfo[] {
    const pod = (component: PodInfo["component"], name: string, port: number): PodInfo => ({
        name,
        ip: "127.0.0.1",
        port,
        component,
        phase: "Running",
        ready: true,
    });
    return [
        ...group.sentinels.map((s, i) => pod("sentinel", `${sentinelName(failover)}-${i}`, s.port)),
        ...group.redis.map((r, i) => pod("redis", `${redisName(failover)}-${i}`, r.port)),
    ];
}

/** The addresses (`host:port`) of a lab group's servers but `gone`: its members, as `verify --members` takes them. */
export function labMembers(group: LabGroup, gone: LabServer[] = []): string[] {
    return [...group.redis, ...group.sentinels].filter((s) => !gone.includes(s)).map((s) => `${s.host ?? "127.0.0.1"}:${s.port}`);
}

/**
 * A redis-server of no lab group on 127.0.0.1:`port`, replicating `master` with `password`: a pod
 * of another group that was given an address. Kill it by its pid when done.
 */
export async function startReplicaAt(port: number, master: Endpoint, password: string, dir: string): Promise<ChildProcess> {
    fs.mkdirSync(dir, { recursive: true });
    const conf = path.join(dir, "redis.conf");
    const lines = [`port ${port}`, "bind 127.0.0.1", `dir ${dir}`, 'save ""', "appendonly no"];
    lines.push(`requirepass ${password}`, `masterauth ${password}`, `replicaof ${master.host} ${master.port}`);
    fs.writeFileSync(conf, `${lines.join("\n")}\n`);
    const child = spawn("redis-server", [conf], { stdio: "ignore" });
    // Dies with the tests, even when one fails before killing it.
    process.once("exit", () => child.kill("SIGKILL"));
    const answers = async () => {
        const client = new IORedis({ port, password, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
        client.on("error", () => undefined);
        try {
            await client.connect();
            return (await client.ping()) === "PONG";
        } finally {
            client.disconnect();
        }
    };
    await until(answers, 5000, `redis on 127.0.0.1:${port}`);
    return child;
}

/** One command to a lab sentinel (or server, with its password), on a connection of its own. */
export function serverCall(server: { host?: string; port: number }, password: string | undefined, ...args: string[]): Promise<unknown> {
    return withClient({ host: server.host ?? HOST, port: server.port }, password, (client) => client.call(args[0], ...args.slice(1)));
}

/** A kubeconfig for a fake API server listening on 127.0.0.1 (plain HTTP, a bearer token). */
export function labKubeconfig(api: net.Server): string {
    return [
        "apiVersion: v1",
        "kind: Config",
        `clusters: [{name: lab, cluster: {server: "http://127.0.0.1:${(api.address() as net.AddressInfo).port}"}}]`,
        "users: [{name: lab, user: {token: lab-token}}]",
        "contexts: [{name: lab, context: {cluster: lab, user: lab}}]",
        "current-context: lab",
    ].join("\n");
}

/** The Services the operator makes for `failover`, all ClusterIP. */
export function operatorServices(failover: string): ServiceInfo[] {
    return [masterServiceName, replicaServiceName, sentinelName, redisName].map((name) => ({ name: name(failover), type: "ClusterIP" }));
}

/** Forwards to the pod's own address on this machine (the lab's servers), as a port-forward would. */
export function pipeForwarder(seen: string[] = []): Forwarder {
    return (endpoint, socket) => {
        seen.push(`${endpoint.pod} ${endpoint.ip}:${endpoint.port}`);
        const upstream = net.connect(endpoint.port, endpoint.ip);
        socket.pipe(upstream).pipe(socket);
        upstream.on("error", () => socket.destroy());
    };
}

let timedRuns = 0;

/**
 * The node arguments and environment that run cli/verify.ts with `args`, and `workMs`, which, once it
 * has ended (at `endedAt`), tells how long it ran after its start-up: from when its modules were
 * loaded (support/loadedAt.ts) to its end. NaN if it never got that far.
 */
function timedVerify(args: string[], env: Record<string, string>) {
    const loadedAt = path.join(os.tmpdir(), `redis-ha-verify-loaded-${process.pid}-${++timedRuns}`);
    const argv = ["-r", "ts-node/register/transpile-only", "-r", path.join(__dirname, "loadedAt.ts")];
    const workMs = (endedAt: number): number => {
        const at = fs.existsSync(loadedAt) ? Number(fs.readFileSync(loadedAt, "utf8")) : NaN;
        fs.rmSync(loadedAt, { force: true });
        return endedAt - at;
    };
    return {
        argv: [...argv, path.join(PROJECT_DIR, "cli", "verify.ts"), ...args],
        env: { ...process.env, ...env, REDIS_HA_TEST_LOADED_AT: loadedAt },
        workMs,
    };
}

/**
 * Runs `npm run verify` with `args` and waits for it. `ms` is its whole wall time; `workMs` leaves
 * out the start-up (node, ts-node, loading the modules), so that a test can bound what verify does.
 */
export function verify(args: string[], env: Record<string, string> = {}) {
    const started = Date.now();
    const run = timedVerify(args, env);
    const result = spawnSync(process.execPath, run.argv, { cwd: PROJECT_DIR, encoding: "utf8", timeout: 30_000, env: run.env });
    const ended = Date.now();
    return { code: result.status, stdout: result.stdout, stderr: result.stderr, ms: ended - started, workMs: run.workMs(ended) };
}

/** `verify` running in the background, so a test can act meanwhile. */
export function verifyInBackground(args: string[], env: Record<string, string> = {}) {
    const started = Date.now();
    const run = timedVerify(args, env);
    const child = spawn(process.execPath, run.argv, { cwd: PROJECT_DIR, timeout: 30_000, env: run.env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (data) => (stdout += data));
    child.stderr.on("data", (data) => (stderr += data));
    const done = new Promise<{ code: number | null; stdout: string; stderr: string; ms: number; workMs: number }>((resolve) =>
        child.once("close", (code) => {
            const ended = Date.now();
            resolve({ code, stdout, stderr, ms: ended - started, workMs: run.workMs(ended) });
        }),
    );
    return { done, stderr: () => stderr };
}
