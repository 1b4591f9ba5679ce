// Moving a standalone Redis into a group, for the labs: the standalone with its data, and an
// application that writes to it until it refuses, then to the group's front (its new URL).

import * as fs from "fs";
import * as path from "path";
import IORedis from "ioredis";
import type { MotionLab } from "./motionLab";
import { answersPing, startServer, waitFor } from "./redisLab";

/** A standalone Redis with a password of its own, as the team runs it before the move. */
export interface Standalone {
    host: string;
    port: number;
    password: string;
    pid: number;
    dir: string;
}

export async function startStandalone(at: { host: string; port: number; password: string; dir: string }): Promise<Standalone> {
    fs.mkdirSync(at.dir, { recursive: true });
    const config = [`bind ${at.host}`, `port ${at.port}`, `requirepass ${at.password}`, `dir ${at.dir}`, `save ""`].join("\n");
    const pid = await startServer("redis-server", config, at.dir, false);
    await waitFor(() => answersPing(at.port, at.host), 5000, `standalone on ${at.host}:${at.port}`);
    return { ...at, pid };
}

export function stopStandalone(source: Standalone): void {
    try {
        process.kill(source.pid, "SIGKILL");
    } catch {
        // already gone
    }
}

/**
 * Fills `keys` keys as the auth group holds them: JWT blacklist entries in db 0 (one in a hundred
 * with a TTL of an hour) and OAuth states in db 3 (a tenth of the total, all with a TTL).
 */
export async function fillStandalone(source: Standalone, keys: number): Promise<{ db0: number; db3: number }> {
    const client = new IORedis({ host: source.host, port: source.port, password: source.password, lazyConnect: true });
    await client.connect();
    const db3 = Math.floor(keys / 10);
    const db0 = keys - db3;
    try {
        const write = async (db: number, count: number, key: (i: number) => string, ttl: (i: number) => number) => {
            await client.select(db);
            for (let from = 0; from < count; from += 5000) {
                const batch = client.pipeline();
                for (let i = from; i < Math.min(count, from + 5000); i++) {
                    if (ttl(i) > 0) batch.set(key(i), `v${i}`, "EX", ttl(i));
                    else batch.set(key(i), `v${i}`);
                }
                await batch.exec();
            }
        };
        await write(
            0,
            db0,
            (i) => `jwt:blacklist:${i}`,
            (i) => (i % 100 === 0 ? 3600 : 0),
        );
        await write(
            3,
            db3,
            (i) => `oauth:state:${i}`,
            () => 3600,
        );
    } finally {
        client.disconnect();
    }
    return { db0, db3 };
}

/** Where the application writes: the standalone, then the group's front. */
export interface WriterTargets {
    source: { host: string; port: number; password: string };
    front: { host: string; port: number; password: string };
}

/**
 * An application moved during the cut-over: it writes `mig:<n>` to the standalone; when a write is
 * refused there (the fenced source's NOREPLICAS, or a READONLY) it takes its new URL, the front,
 * as a redeployed app with the new env would. Every acknowledged key is recorded with where it went.
 */
export class MigrationWriter {
    readonly acked: Array<{ key: string; at: number; on: "source" | "front" }> = [];
    readonly errors: string[] = [];
    private running = true;
    private done?: Promise<void>;
    private on: "source" | "front" = "source";

    constructor(private readonly targets: WriterTargets) {}

    start(): void {
        this.done = this.loop();
    }

    async stop(): Promise<void> {
        this.running = false;
        await this.done;
    }

    /** Last acknowledgement by the source to first by the front, in ms; undefined until both happened. */
    outageMs(): number | undefined {
        const lastSource = this.acked.filter((ack) => ack.on === "source").pop();
        const firstFront = this.acked.find((ack) => ack.on === "front");
        return lastSource && firstFront ? firstFront.at - lastSource.at : undefined;
    }

    private client(on: "source" | "front"): IORedis {
        const { host, port, password } = this.targets[on];
        const client = new IORedis({ host, port, password, maxRetriesPerRequest: 1, connectTimeout: 1000, commandTimeout: 2000 });
        client.on("error", () => undefined);
        return client;
    }

    private async loop(): Promise<void> {
        let client = this.client("source");
        for (let n = 0; this.running; n++) {
            const key = `mig:${n}`;
            try {
                await client.set(key, String(n));
                this.acked.push({ key, at: Date.now(), on: this.on });
            } catch (error) {
                const message = (error as Error).message;
                this.errors.push(`${this.on}: ${message}`);
                if (this.on === "source" && /NOREPLICAS|READONLY/.test(message)) {
                    client.disconnect();
                    this.on = "front";
                    client = this.client("front");
                } else {
                    await new Promise((resolve) => setTimeout(resolve, 20));
                }
            }
        }
        client.disconnect();
    }
}

/** Runs `npm run migrate -- <args>` as a user would (ts-node on the CLI), with the passwords in its environment. */
export function runMigrate(
    projectDir: string,
    args: string[],
    env: { REDIS_PASSWORD: string; SOURCE_REDIS_PASSWORD: string },
): Promise<{ code: number; output: string }> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { execFile } = require("child_process") as typeof import("child_process");
    return new Promise((resolve) =>
        execFile(
            process.execPath,
            ["-r", "ts-node/register/transpile-only", path.join(projectDir, "cli", "migrate.ts"), ...args],
            { cwd: projectDir, env: { ...process.env, ...env } },
            (error, stdout, stderr) =>
                resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
        ),
    );
}

/** What moving a group in by the runbook did. */
export interface MoveIn {
    /** The `npm run migrate` steps run, in order. */
    steps: string[];
    /** Each step's output, in order. */
    outputs: string[];
    writer: MigrationWriter;
    /** How long `status --wait` took to see every pod caught up. */
    syncMs: number;
}

/**
 * The README's runbook ("Moving a Redis in") on a lab group started with `bootstrapNode` and its
 * operator loop running: prepare, status until caught up, `bootstrapFrom` removed (the next pass
 * must leave the group following the source), status again, then the cut-over while an
 * application writes, until it has written `frontWrites` times through the front. A step that
 * fails throws with its output.
 */
export async function moveIn(lab: MotionLab, source: Standalone, projectDir: string, frontWrites = 200): Promise<MoveIn> {
    const env = { REDIS_PASSWORD: lab.model.group.spec.password, SOURCE_REDIS_PASSWORD: source.password };
    const at = (pod: { server: { host?: string; port: number } }) => `${pod.server.host}:${pod.server.port}`;
    const group = ["--redis", lab.model.redis.map(at).join(","), "--sentinel", lab.model.sentinels.map(at).join(",")];
    const done: MoveIn = {
        steps: [],
        outputs: [],
        syncMs: 0,
        writer: new MigrationWriter({
            source: { host: source.host, port: source.port, password: source.password },
            front: { host: lab.front.host, port: lab.front.port, password: lab.model.group.spec.password },
        }),
    };
    const migrate = async (step: string, ...args: string[]) => {
        done.steps.push(step);
        const run = await runMigrate(projectDir, [step, "--source", `${source.host}:${source.port}`, ...args], env);
        done.outputs.push(run.output);
        if (run.code !== 0) throw new Error(`migrate ${step} exited ${run.code}:\n${run.output}`);
    };
    await migrate("prepare");
    const syncing = Date.now();
    await migrate("status", ...group, "--wait", "300");
    done.syncMs = Date.now() - syncing;
    done.writer.start();
    try {
        lab.model.bootstrapNode = undefined;
        const from = lab.model.outcomes.length;
        await waitFor(() => lab.model.outcomes.length > from + 1, 30_000, "two operator passes without bootstrapNode");
        await migrate("status", ...group);
        await migrate("cutover", ...group);
        await waitFor(
            () => done.writer.acked.filter((ack) => ack.on === "front").length >= frontWrites,
            30_000,
            "writes through the front",
        );
    } finally {
        await done.writer.stop();
    }
    return done;
}
