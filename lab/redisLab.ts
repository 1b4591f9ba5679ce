// Real redis-server and redis-sentinel processes on 127.0.0.1, one group per purpose, on free
// ports in a temporary folder. Used by `npm run lab`, by the tests and by the benchmarks.

import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { parseRedisBytes } from "../facts/patterns";
import { checkOnce, Endpoint, Expectations, Target } from "../health";

/** One group to start. */
export interface GroupSpec {
    /** Name, used for folders and messages (`auth`). */
    name: string;
    /** Redis servers: the first is the master, the rest replicate it. */
    redisCount: number;
    /** Sentinels. */
    sentinelCount: number;
    /** requirepass / masterauth of every redis. */
    password: string;
    /** `maxmemory` as Redis reads it (`256mb`). */
    maxmemory: string;
    /** `maxmemory-policy`. */
    maxmemoryPolicy: string;
    /** Append-only file. */
    appendonly: boolean;
    /** Sentinel `down-after-milliseconds`. */
    downAfterMilliseconds: number;
    /** Sentinel `failover-timeout`. */
    failoverTimeout: number;
    /** Sentinel master name. */
    masterName: string;
    /**
     * Seconds a master waits for more replicas before a full sync (`repl-diskless-sync-delay`);
     * Redis's default (5), as in the cluster, when absent. Tests not about timings use 0.
     */
    replicaSyncDelaySeconds?: number;
}

/** A started server. */
export interface LabServer {
    /** Port on 127.0.0.1. */
    port: number;
    /** Process id. */
    pid: number;
    /** Its folder, holding `server.conf`. */
    dir: string;
}

/** A started group. */
export interface LabGroup {
    /** What was started. */
    spec: GroupSpec;
    /** Its folder (configs, data, logs). */
    dir: string;
    /** Redis servers; `redis[0]` started as master. */
    redis: LabServer[];
    /** Sentinels. */
    sentinels: LabServer[];
}

const HOST = "127.0.0.1";
const children = new Set<ChildProcess>();
// Servers started in the foreground die with this process, even when a test fails.
process.once("exit", () => {
    for (const child of children) {
        try {
            child.kill("SIGKILL");
        } catch {
            // already gone
        }
    }
});

/** A TCP port nothing listens on right now. */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once("error", reject);
        server.listen(0, HOST, () => {
            const port = (server.address() as net.AddressInfo).port;
            server.close(() => resolve(port));
        });
    });
}

function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
        const poll = async () => {
            if (
                await Promise.resolve()
                    .then(check)
                    .catch(() => false)
            )
                return resolve();
            if (Date.now() - started > timeoutMs) return reject(new Error(`lab: ${what} not within ${timeoutMs} ms`));
            setTimeout(poll, 50);
        };
        void poll();
    });
}

function answersPing(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = net.connect(port, HOST);
        socket.setTimeout(500);
        socket.once("connect", () => socket.write("PING\r\n"));
        socket.once("data", (data) => {
            socket.destroy();
            // +PONG, or -NOAUTH from a password-protected server: either way it is serving.
            resolve(/^(\+PONG|-NOAUTH)/.test(data.toString()));
        });
        socket.once("error", () => resolve(false));
        socket.once("timeout", () => {
            socket.destroy();
            resolve(false);
        });
    });
}

async function startServer(
    binary: "redis-server" | "redis-sentinel",
    config: string | undefined,
    dir: string,
    daemonize: boolean,
): Promise<number> {
    const pidfile = path.join(dir, "pid");
    if (config !== undefined) {
        fs.writeFileSync(
            path.join(dir, "server.conf"),
            `${config}\ndaemonize ${daemonize ? "yes" : "no"}\npidfile ${pidfile}\nlogfile ${path.join(dir, "log")}\n`,
        );
    }
    if (daemonize) {
        const child = spawn(binary, [path.join(dir, "server.conf")], { stdio: "ignore" });
        await new Promise((resolve) => child.once("exit", resolve));
        await waitFor(() => fs.existsSync(pidfile) && fs.readFileSync(pidfile, "utf8").trim() !== "", 5000, `${binary} pidfile`);
        return Number(fs.readFileSync(pidfile, "utf8").trim());
    }
    const child = spawn(binary, [path.join(dir, "server.conf")], { stdio: "ignore" });
    children.add(child);
    child.once("exit", () => children.delete(child));
    if (child.pid === undefined) {
        throw new Error(`lab: ${binary} did not start (is it installed?)`);
    }
    return child.pid;
}

/** Starts a group and waits until every sentinel sees every replica and every other sentinel. */
export async function startGroup(
    spec: GroupSpec,
    root: string,
    options: { daemonize?: boolean; readyTimeoutMs?: number } = {},
): Promise<LabGroup> {
    const dir = path.join(root, spec.name);
    fs.mkdirSync(dir, { recursive: true });
    const group: LabGroup = { spec, dir, redis: [], sentinels: [] };
    const daemonize = options.daemonize ?? false;
    try {
        for (let index = 0; index < spec.redisCount; index++) {
            const port = await freePort();
            const serverDir = path.join(dir, `redis-${index}`);
            fs.mkdirSync(serverDir, { recursive: true });
            const master = group.redis[0];
            const config = [
                `port ${port}`,
                `bind ${HOST}`,
                `dir ${serverDir}`,
                `requirepass ${spec.password}`,
                `masterauth ${spec.password}`,
                `maxmemory ${spec.maxmemory}`,
                `maxmemory-policy ${spec.maxmemoryPolicy}`,
                `appendonly ${spec.appendonly ? "yes" : "no"}`,
                `save ""`,
                ...(spec.replicaSyncDelaySeconds === undefined ? [] : [`repl-diskless-sync-delay ${spec.replicaSyncDelaySeconds}`]),
                ...(master ? [`replicaof ${HOST} ${master.port}`] : []),
            ].join("\n");
            const pid = await startServer("redis-server", config, serverDir, daemonize);
            group.redis.push({ port, pid, dir: serverDir });
            await waitFor(() => answersPing(port), 5000, `redis on ${port}`);
        }
        const quorum = Math.floor(spec.sentinelCount / 2) + 1;
        for (let index = 0; index < spec.sentinelCount; index++) {
            const port = await freePort();
            const serverDir = path.join(dir, `sentinel-${index}`);
            fs.mkdirSync(serverDir, { recursive: true });
            const config = [
                `port ${port}`,
                `bind ${HOST}`,
                `dir ${serverDir}`,
                `sentinel monitor ${spec.masterName} ${HOST} ${group.redis[0].port} ${quorum}`,
                `sentinel auth-pass ${spec.masterName} ${spec.password}`,
                `sentinel down-after-milliseconds ${spec.masterName} ${spec.downAfterMilliseconds}`,
                `sentinel failover-timeout ${spec.masterName} ${spec.failoverTimeout}`,
            ].join("\n");
            const pid = await startServer("redis-sentinel", config, serverDir, daemonize);
            group.sentinels.push({ port, pid, dir: serverDir });
            await waitFor(() => answersPing(port), 5000, `sentinel on ${port}`);
        }
        // Sentinels learn replicas from the master's INFO and each other through hello messages.
        await waitFor(
            async () => (await checkOnce(labTarget(group), labExpectations(group))).healthy,
            options.readyTimeoutMs ?? 20_000,
            `group ${spec.name} healthy`,
        );
        return group;
    } catch (error) {
        await stopGroup(group);
        throw error;
    }
}

/** Starts a stopped or killed redis of the group again, with its own config, as Kubernetes restarts a pod. */
export async function restartRedis(group: LabGroup, index: number): Promise<void> {
    const server = group.redis[index];
    server.pid = await startServer("redis-server", undefined, server.dir, false);
    await waitFor(() => answersPing(server.port), 5000, `redis on ${server.port}`);
}

/** How the checks reach a lab group. */
export function labTarget(group: LabGroup, probeTimeoutMs = 1000): Target {
    return {
        sentinels: group.sentinels.map((s): Endpoint => ({ host: HOST, port: s.port })),
        password: group.spec.password,
        probeTimeoutMs,
    };
}

/** What a lab group was started to be. */
export function labExpectations(group: LabGroup): Expectations {
    return {
        masterName: group.spec.masterName,
        maxmemoryPolicy: group.spec.maxmemoryPolicy,
        maxmemoryBytes: parseRedisBytes(group.spec.maxmemory),
        redisCount: group.spec.redisCount,
        sentinelCount: group.spec.sentinelCount,
    };
}

/** Whether a process with this id exists. */
export function isAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
}

/** Resolves once none of `pids` is alive, or after `timeoutMs`; polls without blocking the event loop. */
export async function whenGone(pids: number[], timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    // The event loop must keep running: Node reaps its own children only then, and an unreaped
    // child still answers kill(pid, 0).
    while (pids.some(isAlive)) {
        if (Date.now() > deadline) return false;
        await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return true;
}

/** Stops every process of the group by PID (resuming stopped ones first) and removes its folder. */
export async function stopGroup(group: LabGroup): Promise<void> {
    const pids = [...group.redis, ...group.sentinels].map((server) => server.pid);
    for (const pid of pids) {
        for (const signal of ["SIGCONT", "SIGKILL"] as const) {
            try {
                process.kill(pid, signal);
            } catch {
                // already gone
            }
        }
    }
    await whenGone(pids);
    fs.rmSync(group.dir, { recursive: true, force: true });
}
