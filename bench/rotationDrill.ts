// The password rotation drill: a data-holding group of 3 redis and 3 sentinels in motion (the
// operator model passing), its front behind the front's Service, and three clients writing through
// it while the four phases are applied (lab/rotation.ts): one opening a new connection per write
// with the app env's password (the old one until `apps`, then the new one), one with the new
// password from `accept` on, one keeping a single connection made with the old password. A sentinel
// pod is re-created during `replicate`, so the operator's pass re-monitors it with the Secret's
// (old) auth-pass. Every replica's master_link_status is read every 100 ms throughout.

import IORedis from "ioredis";
import { withConnection } from "../health/connection";
import { MotionLab, startMotionLab, stopMotionLab } from "../lab/motionLab";
import { applyLabPhase, FrontService, RotationPasswords, startFrontService, stopFrontService } from "../lab/rotation";
import { withClient } from "../lab/operator/steps";
import { GroupSpec, HOST } from "../lab/redisLab";
import type { RotationPhase } from "../render/passwordRotation";
import { ROTATION_PHASES } from "../config/schema/instances";
import { countLost, sleep } from "./support";
import { drillGroupSpec } from "./drillGroup";

const CADENCE_MS = 25;

interface Client {
    acked: string[];
    failed: string[];
    stop(): Promise<void>;
}

/** New connection per write through the Service, with the password `password()` gives at that moment. */
function perWriteClient(fronts: FrontService, prefix: string, password: () => string): Client {
    const state = { acked: [] as string[], failed: [] as string[], running: true };
    const done = (async () => {
        for (let n = 0; state.running; n++) {
            const key = `${prefix}${n}`;
            const error = await withConnection(fronts.service.address, { password: password(), timeoutMs: 2000 }, (client) =>
                client.set(key, "1"),
            ).then(
                () => null,
                (failure: Error) => failure.message,
            );
            if (error === null) state.acked.push(key);
            else state.failed.push(`${key}: ${error}`);
            await sleep(CADENCE_MS);
        }
    })();
    return { ...state, stop: async () => ((state.running = false), await done) };
}

/** One connection kept for the whole drill (ioredis's reconnect and resend, as an application runs it). */
function keptClient(fronts: FrontService, prefix: string, password: string): Client & { reconnects: () => number } {
    const client = new IORedis({ ...fronts.service.address, password, retryStrategy: () => CADENCE_MS });
    let connects = 0;
    client.on("ready", () => connects++);
    client.on("error", () => undefined);
    const state = { acked: [] as string[], failed: [] as string[], running: true };
    const done = (async () => {
        for (let n = 0; state.running; n++) {
            const key = `${prefix}${n}`;
            await client.set(key, "1").then(
                () => state.acked.push(key),
                (error: Error) => state.failed.push(`${key}: ${error.message}`),
            );
            await sleep(CADENCE_MS);
        }
    })();
    return {
        ...state,
        reconnects: () => Math.max(0, connects - 1),
        stop: async () => ((state.running = false), await done, client.disconnect()),
    };
}

/** Reads every replica's link every 100 ms; what it saw that was not `up`. */
function linkWatch(lab: MotionLab, password: () => string) {
    const state = { reads: 0, broken: [] as string[], running: true };
    const done = (async () => {
        while (state.running) {
            for (const pod of lab.model.redis.filter((p) => p.phase === "Running")) {
                const at = `${pod.server.host ?? HOST}:${pod.server.port}`;
                const info = await withClient({ host: pod.server.host ?? HOST, port: pod.server.port }, password(), (c) =>
                    c.info("replication"),
                ).catch((error: Error) => `error ${error.message}`);
                state.reads++;
                if (info.startsWith("error")) state.broken.push(`${at}: ${info}`);
                else if (/role:slave/.test(info) && !/master_link_status:up/.test(info))
                    state.broken.push(`${at}: link ${/master_link_status:(\w+)/.exec(info)?.[1]}`);
            }
            await sleep(100);
        }
    })();
    return { state, stop: async () => ((state.running = false), await done) };
}

export interface RotationTrial {
    /** Requests per client, and those that failed. */
    clients: Array<{ name: string; requests: number; failed: string[] }>;
    keptReconnects: number;
    lost: number;
    linkReads: number;
    linkBroken: string[];
    /** Passwords each redis accepts at the end, as AUTH answers: old refused, new accepted. */
    oldRefused: boolean;
    newAccepted: boolean;
    /** After the end, every replica re-synced with the new masterauth once its link was cut. */
    resyncedWithNew: boolean;
    phasesMs: Record<string, number>;
}

/** One rotation from `spec.password` to a new password while the three clients write. */
export async function rotationTrial(
    spec: GroupSpec,
    root: string,
    block: number,
    options: {
        passIntervalMs: number;
        phaseHoldMs: number;
        frontGraceMs: number;
        log?: (line: string) => void;
        /** The phases applied, in order (all four by default; fewer to show what a skipped phase does). */
        phases?: readonly RotationPhase[];
    },
): Promise<RotationTrial> {
    const passwords: RotationPasswords = { old: spec.password, next: `${spec.password}-v2` };
    const lab = await startMotionLab({ ...spec }, root, {
        block,
        passIntervalMs: options.passIntervalMs,
        ...(options.log ? { log: options.log } : {}),
    });
    const fronts = await startFrontService(lab, block);
    lab.model.start();
    let appEnv = passwords.old;
    const links = linkWatch(lab, () => lab.model.group.spec.password);
    const viaAppEnv = perWriteClient(fronts, "env:", () => appEnv);
    const kept = keptClient(fronts, "kept:", passwords.old);
    let viaNew: Client | undefined;
    const phasesMs: Record<string, number> = {};
    try {
        await sleep(1000);
        for (const phase of options.phases ?? (ROTATION_PHASES as readonly RotationPhase[])) {
            const started = Date.now();
            await applyLabPhase(lab, fronts, passwords, phase, { frontGraceMs: options.frontGraceMs, log: options.log });
            phasesMs[phase] = Date.now() - started;
            if (phase === "accept") viaNew = perWriteClient(fronts, "new:", () => passwords.next);
            if (phase === "replicate") await lab.model.recreateSentinel(0);
            // The app env moved: applications restarted onto the new URL.
            if (phase === "apps") appEnv = passwords.next;
            // Long enough for the operator's passes to run on the phase.
            await sleep(options.phaseHoldMs);
        }
        await Promise.all([viaAppEnv.stop(), kept.stop(), viaNew?.stop(), links.stop()]);
        const masterAddress = await masterOf(lab, passwords.next);
        const lost = await countLost(masterAddress, passwords.next, [...viaAppEnv.acked, ...kept.acked, ...(viaNew?.acked ?? [])]);
        const accepts = (password: string) =>
            Promise.all(
                lab.model.redis.map((pod) =>
                    withClient({ host: pod.server.host ?? HOST, port: pod.server.port }, password, (c) => c.ping()).then(
                        () => true,
                        () => false,
                    ),
                ),
            );
        const oldRefused = (await accepts(passwords.old)).every((ok) => !ok);
        const newAccepted = (await accepts(passwords.next)).every((ok) => ok);
        return {
            clients: [
                { name: "old URL until apps", requests: viaAppEnv.acked.length + viaAppEnv.failed.length, failed: viaAppEnv.failed },
                {
                    name: "new URL from accept",
                    requests: (viaNew?.acked.length ?? 0) + (viaNew?.failed.length ?? 0),
                    failed: viaNew?.failed ?? [],
                },
                { name: "kept connection", requests: kept.acked.length + kept.failed.length, failed: kept.failed },
            ],
            keptReconnects: kept.reconnects(),
            lost,
            linkReads: links.state.reads,
            linkBroken: links.state.broken,
            oldRefused,
            newAccepted,
            resyncedWithNew: await resyncWithNew(masterAddress, passwords.next),
            phasesMs,
        };
    } finally {
        await Promise.all([viaAppEnv.stop(), kept.stop(), viaNew?.stop(), links.stop()]);
        await stopFrontService(fronts);
        await stopMotionLab(lab);
    }
}

/** The one server that says role:master. */
async function masterOf(lab: MotionLab, password: string): Promise<{ host: string; port: number }> {
    for (const pod of lab.model.redis) {
        const address = { host: pod.server.host ?? HOST, port: pod.server.port };
        const info = await withClient(address, password, (c) => c.info("replication")).catch(() => "");
        if (/role:master/.test(info)) return address;
    }
    throw new Error("no master at the end of the rotation");
}

/**
 * Cuts every replica's link on the master and waits until as many replicas as before are connected
 * again, each on a new connection: they authenticated with their masterauth, which only the new
 * password can now be.
 */
async function resyncWithNew(master: { host: string; port: number }, password: string): Promise<boolean> {
    const replicaIds = () =>
        withClient(master, password, (c) => c.call("CLIENT", "LIST", "TYPE", "replica")).then((list) =>
            [...String(list).matchAll(/^id=(\d+)/gm)].map((match) => match[1]),
        );
    const before = await replicaIds();
    await withClient(master, password, (c) => c.call("CLIENT", "KILL", "TYPE", "replica"));
    for (const started = Date.now(); Date.now() - started < 20_000; await sleep(200)) {
        const now = await replicaIds().catch(() => []);
        if (before.length > 0 && now.length === before.length && now.every((id) => !before.includes(id))) return true;
    }
    return false;
}

/** Runs `trials` rotations with the operator's 30 s pass and prints one line per trial. */
export async function runRotationDrill(
    root: string,
    trials: number,
    timings: { downAfterMilliseconds: number; failoverTimeout: number },
    verbose = false,
): Promise<void> {
    const started = Date.now();
    const log = verbose ? (line: string) => process.stderr.write(`  ${((Date.now() - started) / 1000).toFixed(2)} ${line}\n`) : undefined;
    console.log(
        `\n## rotation drill (3 redis, 3 sentinels, data-holding; operator pass every 30 s, each phase held 35 s; front grace 30 s; ${trials} trials)`,
    );
    console.log(
        "trial  requests (failed): old URL until apps / new URL / kept conn   kept reconnects   acked lost   link reads (not up)   end state",
    );
    for (let i = 0; i < trials; i++) {
        const spec = drillGroupSpec("rotation", timings);
        const trial = await rotationTrial(spec, root, 120 + i, { passIntervalMs: 30_000, phaseHoldMs: 35_000, frontGraceMs: 30_000, log });
        const clients = trial.clients.map((c) => `${c.requests} (${c.failed.length})`).join(" / ");
        const end = trial.oldRefused && trial.newAccepted && trial.resyncedWithNew ? "old refused, new accepted, re-synced" : "NOT rotated";
        console.log(
            `${String(i + 1).padEnd(6)} ${clients.padEnd(58)} ${String(trial.keptReconnects).padEnd(17)} ${String(trial.lost).padEnd(12)} ` +
                `${`${trial.linkReads} (${trial.linkBroken.length})`.padEnd(21)} ${end}`,
        );
        for (const c of trial.clients) if (c.failed.length) console.log(`       ${c.name}: ${c.failed.slice(0, 3).join("; ")}`);
    }
}
