// The front in the labs: Debian's haproxy started with the configuration the cluster's front
// Deployment runs (front/haproxyConfig.ts), its servers given by address instead of DNS. The
// password reaches it only through its environment, as the Deployment's Secret-backed env var.

import { spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as http from "http";
import * as path from "path";
import { FRONT_READY_PATH, FrontServers, MASTER_GATE_FILE, renderFrontConfig } from "../front/haproxyConfig";
import { LabDns } from "./dns";
import { answersPing, freePort, killOnExit, LabGroup, waitFor } from "./redisLab";

const PASSWORD_ENV = "REDIS_PASSWORD";

/** A started front. */
export interface LabFront {
    pid: number;
    host: string;
    port: number;
    /** Where its `/ready` and `/alive` answer (HTTP, on `host`). */
    monitorPort: number;
    /** Its folder: haproxy.cfg and log. */
    dir: string;
    /** The network namespace it runs in (a node of the lab of nodes), if any. */
    netns?: string;
    /** Whether the master gate runs (the shipped front), or only the role check. */
    gate: boolean;
}

export interface FrontOptions {
    /** Folder for its config and log (created). */
    dir: string;
    /** Address to listen on: 127.0.0.1 by default. */
    host?: string;
    /** Port; a free one when absent. */
    port?: number;
    netns?: string;
    /** The master gate (default true); false gives the plain tcp-check front. */
    gate?: boolean;
    /**
     * Find the servers in the lab's DNS under these names (as the cluster's front finds the
     * headless Services' records) instead of by address; every redis, and every sentinel, of the
     * group must then listen on one port.
     */
    dns?: { server: LabDns; redisName: string; sentinelName: string };
    /** Outlive this process (`npm run lab`): detached, not killed on exit. */
    daemonize?: boolean;
    readyTimeoutMs?: number;
    /**
     * false: only wait until it listens. A group being moved in has no master of its own, so the
     * front serves nothing until the cut-over (as its pods are not ready in the cluster).
     */
    forwarding?: boolean;
}

/** haproxy.cfg for a lab group: every redis and sentinel by its address. */
export function labFrontConfig(
    group: LabGroup,
    bind: { host: string; port: number },
    gate: boolean,
    monitorPort?: number,
    dns?: FrontOptions["dns"],
): string {
    const address = (server: { host?: string; port: number }) => ({ host: server.host ?? "127.0.0.1", port: server.port });
    const servers = (list: Array<{ port: number }>, name: string | undefined, count: number): FrontServers => {
        if (name === undefined) return { addresses: list.map(address) };
        const ports = new Set(list.map((server) => server.port));
        if (ports.size !== 1) throw new Error(`lab: servers found by DNS (${name}) must share one port; got ${[...ports].join(", ")}`);
        return { dns: { name, port: [...ports][0], count } };
    };
    return renderFrontConfig({
        bind,
        redis: servers(group.redis, dns?.redisName, group.spec.redisCount),
        sentinels: servers(group.sentinels, dns?.sentinelName, group.spec.sentinelCount),
        ...(dns ? { nameservers: [{ host: dns.server.host, port: dns.server.port }] } : {}),
        masterName: group.spec.masterName,
        passwordEnv: PASSWORD_ENV,
        gate,
        gateFile: MASTER_GATE_FILE,
        ...(monitorPort === undefined ? {} : { monitor: { host: bind.host, port: monitorPort } }),
    });
}

/**
 * Starts a front for `group` and waits until it forwards to a redis (with the gate: once a
 * majority of sentinels has named the master). Throws with the end of its log when it does not.
 */
export async function startFront(group: LabGroup, options: FrontOptions): Promise<LabFront> {
    const host = options.host ?? "127.0.0.1";
    const port = options.port ?? (await freePort());
    const gate = options.gate ?? true;
    const monitorPort = await freePort();
    fs.mkdirSync(options.dir, { recursive: true });
    const config = path.join(options.dir, "haproxy.cfg");
    fs.writeFileSync(config, labFrontConfig(group, { host, port }, gate, monitorPort, options.dns));
    const logFile = path.join(options.dir, "log");
    const log = fs.openSync(logFile, "a");
    // -db: foreground, logs to the log file; `ip netns exec` execs, so the pid is haproxy's.
    const argv = ["haproxy", "-db", "-f", config];
    const [file, ...args] = options.netns ? ["ip", "netns", "exec", options.netns, ...argv] : argv;
    const child = spawn(file, args, {
        stdio: ["ignore", log, log],
        env: { ...process.env, [PASSWORD_ENV]: group.spec.password },
        detached: options.daemonize ?? false,
    });
    fs.closeSync(log);
    if (child.pid === undefined) throw new Error("lab: haproxy did not start (is it installed?)");
    if (options.daemonize) child.unref();
    else killOnExit(child);
    const front: LabFront = {
        pid: child.pid,
        host,
        port,
        monitorPort,
        dir: options.dir,
        gate,
        ...(options.netns ? { netns: options.netns } : {}),
    };
    try {
        await waitFor(
            () => child.exitCode === null && (options.forwarding === false ? listens(port, host) : answersPing(port, host)),
            options.readyTimeoutMs ?? 15_000,
            `front on ${host}:${port} ${options.forwarding === false ? "listening" : "forwarding"}`,
        );
    } catch (error) {
        stopFront(front);
        const tail = fs.readFileSync(logFile, "utf8").trim().split("\n").slice(-5).join("\n");
        throw new Error(`${(error as Error).message}${tail ? `; haproxy said:\n${tail}` : ""}`, { cause: error });
    }
    return front;
}

/** Whether something accepts a TCP connection at host:port. */
function listens(port: number, host: string): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = net.connect({ port, host }, () => (socket.destroy(), resolve(true)));
        socket.on("error", () => resolve(false));
    });
}

/** Stops a front. */
export function stopFront(front: LabFront): void {
    try {
        process.kill(front.pid, "SIGKILL");
    } catch {
        // already gone
    }
}

/** Whether the front's `/ready` answers 200 (its gate serves a master), as the kubelet's readiness probe asks. */
export function frontReady(front: LabFront): Promise<boolean> {
    return new Promise((resolve) => {
        http.get({ host: front.host, port: front.monitorPort, path: FRONT_READY_PATH, timeout: 1000 }, (response) => {
            response.resume();
            resolve(response.statusCode === 200);
        }).on("error", () => resolve(false));
    });
}
