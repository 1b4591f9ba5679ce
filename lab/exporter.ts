// Real redis_exporter processes (Debian's `prometheus-redis-exporter`) in front of lab servers, one
// per target, configured the way the operator configures its sidecars: through the exporter's
// environment variables (`REDIS_ADDR`, `REDIS_USER`, `REDIS_PASSWORD`, and for the sentinel
// exporter `REDIS_EXPORTER_WEB_LISTEN_ADDRESS` with no password; spotahome/redis-operator
// `service/generator.go`, `createRedisExporterContainer`, `createSentinelExporterContainer`).
// Each listens on a free port of 127.0.0.1 instead of the operator's fixed 9121 and 9355.

import { spawn } from "child_process";
import * as http from "http";
import { freePort, isAlive, killOnExit, whenGone } from "./redisLab";

/** The exporter binary Debian's `prometheus-redis-exporter` package installs. */
export const EXPORTER_BINARY = "prometheus-redis-exporter";

const HOST = "127.0.0.1";

/** What an exporter reads. */
export interface ExporterTarget {
    /** Port of the redis-server or redis-sentinel on 127.0.0.1. */
    port: number;
    /** Password of a redis-server; the operator gives none to the sentinel exporter. */
    password?: string;
    /** `REDIS_ALIAS` (the operator sets the pod name; this exporter version ignores it). */
    alias: string;
}

/** A running exporter. */
export interface LabExporter {
    /** What it reads. */
    target: ExporterTarget;
    /** Its HTTP port on 127.0.0.1. */
    port: number;
    /** Process id. */
    pid: number;
    /** Everything it wrote to stdout and stderr, for messages. */
    output: () => string;
}

/** One sample of a scrape. */
export interface Sample {
    /** Metric name. */
    name: string;
    /** Its labels as the exporter wrote them. */
    labels: Record<string, string>;
    /** Value (`NaN`, `+Inf` and `-Inf` parsed). */
    value: number;
}

function get(url: string, timeoutMs: number): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
        const request = http.get(url, { timeout: timeoutMs }, (response) => {
            let body = "";
            response.setEncoding("utf8");
            response.on("data", (chunk: string) => (body += chunk));
            response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
            response.on("error", reject);
        });
        request.once("timeout", () => request.destroy(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)));
        request.once("error", reject);
    });
}

/** Starts an exporter in front of `target` and waits until it serves `/metrics`. */
export async function startExporter(target: ExporterTarget, readyTimeoutMs = 5000): Promise<LabExporter> {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        REDIS_ALIAS: target.alias,
        REDIS_ADDR: `redis://${HOST}:${target.port}`,
        REDIS_EXPORTER_WEB_LISTEN_ADDRESS: `${HOST}:${port}`,
    };
    if (target.password !== undefined) {
        env.REDIS_USER = "default";
        env.REDIS_PASSWORD = target.password;
    }
    const child = spawn(EXPORTER_BINARY, [], { env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const spawned = await new Promise<Error | undefined>((resolve) => {
        child.once("spawn", () => resolve(undefined));
        child.once("error", resolve);
    });
    if (spawned !== undefined || child.pid === undefined) {
        throw new Error(
            `lab: ${EXPORTER_BINARY} did not start (is Debian's prometheus-redis-exporter installed?): ${spawned?.message ?? "no pid"}`,
        );
    }
    killOnExit(child); // dies with this process, even when a test fails before its `after` hook
    const exporter: LabExporter = { target, port, pid: child.pid, output: () => output };
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
        if (!isAlive(exporter.pid) || child.exitCode !== null) {
            throw new Error(`lab: ${EXPORTER_BINARY} for ${target.alias} exited: ${output.trim()}`);
        }
        const answer = await get(`http://${HOST}:${port}/`, 500).catch(() => undefined);
        if (answer?.status === 200) return exporter;
        if (Date.now() > deadline) {
            await stopExporters([exporter]);
            throw new Error(`lab: ${EXPORTER_BINARY} for ${target.alias} not serving within ${readyTimeoutMs} ms: ${output.trim()}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
    }
}

/** Stops exporters by PID and waits until they are gone. */
export async function stopExporters(exporters: LabExporter[]): Promise<void> {
    for (const exporter of exporters) {
        try {
            process.kill(exporter.pid, "SIGKILL");
        } catch {
            // already gone
        }
    }
    await whenGone(exporters.map((e) => e.pid));
}

/** Reads the Prometheus text exposition format (comments skipped; timestamps ignored). */
export function parseExposition(text: string): Sample[] {
    const samples: Sample[] = [];
    for (const [index, line] of text.split("\n").entries()) {
        if (line.trim() === "" || line.startsWith("#")) continue;
        const fail = (why: string) => new Error(`exposition line ${index + 1}: ${why}: ${line}`);
        const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
        if (!name) throw fail("no metric name");
        let at = name[0].length;
        const labels: Record<string, string> = {};
        if (line[at] === "{") {
            at++;
            const pair = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,?)/y;
            for (;;) {
                if (line[at] === "}") break;
                pair.lastIndex = at;
                const match = pair.exec(line);
                if (!match) throw fail("bad label");
                labels[match[1]] = match[2].replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
                at = pair.lastIndex;
                if (match[3] === "" && line[at] !== "}") throw fail("bad label list");
            }
            at++;
        }
        const value = line.slice(at).trim().split(/\s+/)[0];
        const number = value === "+Inf" ? Infinity : value === "-Inf" ? -Infinity : Number(value);
        if (value === undefined || value === "" || (Number.isNaN(number) && value !== "NaN")) throw fail("bad value");
        samples.push({ name: name[0], labels, value: number });
    }
    return samples;
}

/** Scrapes an exporter's `/metrics` over HTTP, as Prometheus does. */
export async function scrape(exporter: LabExporter, timeoutMs = 5000): Promise<Sample[]> {
    const { status, body } = await get(`http://${HOST}:${exporter.port}/metrics`, timeoutMs);
    if (status !== 200) throw new Error(`scrape of ${exporter.target.alias}: HTTP ${status}`);
    return parseExposition(body);
}
