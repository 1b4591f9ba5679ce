// Real redis-server and redis-sentinel processes on 127.0.0.1, one group per purpose, on free
// ports in a temporary folder. Used by `npm run lab`, by the tests and by the benchmarks.

import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { parseRedisBytes } from "../facts/patterns";
import { checkOnce } from "../health/wait";
import { Endpoint, Target } from "../health/connection";
import { Expectations } from "../health/rules";
import {
    Address,
    listedReplicas,
    newSentinelMonitor,
    operatorQuorum,
    operatorRedisArgs,
    operatorRedisConf,
    operatorRedisCustomConfig,
    operatorSentinelConf,
    operatorSentinelCustomConfig,
    setOldestAsMaster,
    setRedisCustomConfig,
    setSentinelCustomConfig,
} from "./operator/steps";

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
    /**
     * Data-holding (`instances.<p>.holdsData`): redis runs with the rendered command line
     * (`redisCommand`, AOF from start-up), as in the cluster.
     */
    holdsData?: boolean;
    /** Arguments after the config file instead of the rendered ones (`[]`: the operator's default command, as an older rendering had). */
    commandArgs?: string[];
    /** Further redis customConfig lines, applied with CONFIG SET after the typed ones, as the operator does. */
    customConfig?: string[];
    /** Further sentinel customConfig lines (`SENTINEL SET`), after the timings. */
    sentinelCustomConfig?: string[];
    /** `min-replicas-to-write` and `min-replicas-max-lag`, rendered as the stack renders them; none when absent. */
    minReplicasToWrite?: number;
    minReplicasMaxLag?: number;
    /** Ports to listen on, by index; free ones for those not given. */
    ports?: { redis?: number[]; sentinels?: number[] };
}

/** A started server. */
export interface LabServer {
    /** Port on 127.0.0.1. */
    port: number;
    /** Process id. */
    pid: number;
    /** Its folder, holding `server.conf`. */
    dir: string;
    /** Its address; 127.0.0.1 when absent. */
    host?: string;
    /** Arguments after the config file on its command line (the rendered command's flags). */
    args?: string[];
    /** The network namespace it runs in (the lab of nodes); none on 127.0.0.1. */
    netns?: string;
}

/** Where a server runs: the lab of nodes places each in a node's network namespace. */
export interface Placement {
    host: string;
    netns?: string;
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

export const HOST = "127.0.0.1";
const children = new Set<ChildProcess>();
// Processes started in the foreground die with this process, even when a test fails.
process.once("exit", () => {
    for (const child of children) {
        try {
            child.kill("SIGKILL");
        } catch {
            // already gone
        }
    }
});

/** Kills `child` when this process exits, unless it has exited by then. */
export function killOnExit(child: ChildProcess): void {
    children.add(child);
    child.once("exit", () => children.delete(child));
}

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

export function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
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

/** Whether a redis or sentinel answers on host:port (+PONG, or -NOAUTH when it wants a password). */
export function answersPing(port: number, host = HOST): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = net.connect(port, host);
        socket.setTimeout(500);
        socket.once("connect", () => socket.write("PING\r\n"));
        socket.once("data", (data) => {
            socket.destroy();
            // +PONG, or -NOAUTH from a password-protected server: either way it is serving.
            resolve(/^(\+PONG|-NOAUTH)/.test(data.toString()));
        });
        socket.once("error", () => resolve(false));
        // Closed without an answer (a front with no server to serve yet): not serving.
        socket.once("close", () => resolve(false));
        socket.once("timeout", () => {
            socket.destroy();
            resolve(false);
        });
    });
}

/** Where one lab server listens and keeps its files. */
export interface ServerPlace {
    port: number;
    dir: string;
    host: string;
    netns?: string;
}

/** redis.conf of a lab redis: the operator's file, then the lab's own lines. */
export function labRedisConfig(spec: GroupSpec, at: ServerPlace): string {
    return [
        ...operatorRedisConf(at.port, spec.password),
        // The lab's own lines: on its loopback address only (a node's namespace has nothing else to
        // bind), announced as such; data in the server's folder (in a pod: /data, the working directory).
        ...(at.netns ? [] : [`bind ${at.host}`, ...(at.host === HOST ? [] : [`replica-announce-ip ${at.host}`])]),
        `dir ${at.dir}`,
        ...(spec.replicaSyncDelaySeconds === undefined ? [] : [`repl-diskless-sync-delay ${spec.replicaSyncDelaySeconds}`]),
    ].join("\n");
}

/** sentinel.conf of a lab sentinel: the operator's template monitoring 127.0.0.1:`monitorPort`, then the lab's lines. */
export function labSentinelConfig(monitorPort: number, at: ServerPlace): string {
    return [
        ...operatorSentinelConf(monitorPort),
        // The lab's own lines: the sentinel's port (SENTINEL_PORT in a pod), address and folder.
        `port ${at.port}`,
        ...(at.netns ? [] : [`bind ${at.host}`, ...(at.host === HOST ? [] : [`sentinel announce-ip ${at.host}`])]),
        `dir ${at.dir}`,
    ].join("\n");
}

export async function startServer(
    binary: "redis-server" | "redis-sentinel",
    config: string | undefined,
    dir: string,
    daemonize: boolean,
    args: string[] = [],
    netns?: string,
): Promise<number> {
    const pidfile = path.join(dir, "pid");
    if (config !== undefined) {
        fs.writeFileSync(
            path.join(dir, "server.conf"),
            `${config}\ndaemonize ${daemonize ? "yes" : "no"}\npidfile ${pidfile}\nlogfile ${path.join(dir, "log")}\n`,
        );
    }
    // `ip netns exec` execs the server in the namespace: the process id is the server's.
    const argv = [path.join(dir, "server.conf"), ...args];
    const [file, fileArgs] = netns ? ["ip", ["netns", "exec", netns, binary, ...argv]] : [binary, argv];
    if (daemonize) {
        const child = spawn(file, fileArgs, { stdio: "ignore" });
        await new Promise((resolve) => child.once("exit", resolve));
        await waitFor(() => fs.existsSync(pidfile) && fs.readFileSync(pidfile, "utf8").trim() !== "", 5000, `${binary} pidfile`);
        return Number(fs.readFileSync(pidfile, "utf8").trim());
    }
    const child = spawn(file, fileArgs, { stdio: "ignore" });
    killOnExit(child);
    if (child.pid === undefined) {
        throw new Error(`lab: ${binary} did not start (is it installed?)`);
    }
    return child.pid;
}

/** Starts a group and waits until every sentinel sees every replica and every other sentinel. */
export async function startGroup(
    spec: GroupSpec,
    root: string,
    options: {
        daemonize?: boolean;
        readyTimeoutMs?: number;
        place?: (kind: "redis" | "sentinel", index: number) => Placement;
        /** false: the pods as their templates start them, before any operator pass (a group being moved in). */
        operatorFirstPass?: boolean;
    } = {},
): Promise<LabGroup> {
    const dir = path.join(root, spec.name);
    fs.mkdirSync(dir, { recursive: true });
    const group: LabGroup = { spec, dir, redis: [], sentinels: [] };
    const daemonize = options.daemonize ?? false;
    try {
        const place = options.place ?? ((): Placement => ({ host: HOST }));
        for (let index = 0; index < spec.redisCount; index++) {
            const port = spec.ports?.redis?.[index] ?? (await freePort());
            const serverDir = path.join(dir, `redis-${index}`);
            fs.mkdirSync(serverDir, { recursive: true });
            const { host, netns } = place("redis", index);
            const config = labRedisConfig(spec, { port, dir: serverDir, host, netns });
            const args = spec.commandArgs ?? operatorRedisArgs(spec);
            const pid = await startServer("redis-server", config, serverDir, daemonize, args, netns);
            group.redis.push({ port, pid, dir: serverDir, host, args, ...(netns ? { netns } : {}) });
            await waitFor(() => answersPing(port, host), 5000, `redis on ${host}:${port}`);
        }
        const redis = group.redis.map((server): Address => ({ host: server.host ?? HOST, port: server.port }));
        for (let index = 0; index < spec.sentinelCount; index++) {
            const port = spec.ports?.sentinels?.[index] ?? (await freePort());
            const serverDir = path.join(dir, `sentinel-${index}`);
            fs.mkdirSync(serverDir, { recursive: true });
            const { host, netns } = place("sentinel", index);
            const config = labSentinelConfig(redis[0].port, { port, dir: serverDir, host, netns });
            const pid = await startServer("redis-sentinel", config, serverDir, daemonize, [], netns);
            group.sentinels.push({ port, pid, dir: serverDir, host, ...(netns ? { netns } : {}) });
            await waitFor(() => answersPing(port, host), 5000, `sentinel on ${host}:${port}`);
        }
        if (options.operatorFirstPass === false) return group;
        // The operator's check loop (operator/redisfailover/checker.go, CheckAndHeal), once: no
        // master yet, so the oldest becomes master and the others its replicas; customConfig by
        // CONFIG SET on every redis; each sentinel pointed at the master; sentinel customConfig.
        await setOldestAsMaster(redis, spec.password);
        for (const address of redis) {
            await setRedisCustomConfig(address, spec.password, operatorRedisCustomConfig(spec));
        }
        // Not the operator's: waiting until the master lists every replica spares Sentinel's next
        // INFO (10 s later) when its first one comes too early.
        await waitFor(async () => (await listedReplicas(redis[0], spec.password)) === redis.length - 1, 5000, "replicas listed");
        for (const sentinel of group.sentinels) {
            await newSentinelMonitor(
                { host: sentinel.host ?? HOST, port: sentinel.port },
                redis[0],
                operatorQuorum(spec.sentinelCount),
                spec.password,
            );
        }
        for (const sentinel of group.sentinels) {
            await setSentinelCustomConfig({ host: sentinel.host ?? HOST, port: sentinel.port }, operatorSentinelCustomConfig(spec));
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

/**
 * Starts a stopped or killed redis of the group again, with its own config and command line, as
 * Kubernetes restarts a pod: it comes back as the replica of itself the operator's config makes it.
 * Then, unless `operatorCheck` is false, the operator's next check applies customConfig again.
 */
export async function restartRedis(group: LabGroup, index: number, options: { operatorCheck?: boolean } = {}): Promise<void> {
    const server = group.redis[index];
    const host = server.host ?? HOST;
    server.pid = await startServer("redis-server", undefined, server.dir, false, server.args ?? [], server.netns);
    await waitFor(() => answersPing(server.port, host), 5000, `redis on ${host}:${server.port}`);
    if (options.operatorCheck ?? true) {
        await reapplyRedisConfig(group, index);
    }
}

/** The operator's check on one redis: customConfig by CONFIG SET (retried while it loads its data). */
export async function reapplyRedisConfig(group: LabGroup, index: number, timeoutMs = 30_000): Promise<void> {
    const server = group.redis[index];
    const address = { host: server.host ?? HOST, port: server.port };
    await waitFor(
        () => setRedisCustomConfig(address, group.spec.password, operatorRedisCustomConfig(group.spec)).then(() => true),
        timeoutMs,
        `customConfig on ${address.host}:${address.port}`,
    );
}

/** How the checks reach a lab group. */
export function labTarget(group: LabGroup, probeTimeoutMs = 1000): Target {
    return {
        sentinels: group.sentinels.map((s): Endpoint => ({ host: s.host ?? HOST, port: s.port })),
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
