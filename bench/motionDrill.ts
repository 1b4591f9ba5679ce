// The motion drills: a group behind its front while the operator model (lab/operator/motion.ts)
// re-creates pods, rolls the whole group, or the front's DNS is frozen. Two plain clients write
// through the front the whole time: one opening a new connection every 25 ms, one keeping its
// connection (reconnecting 25 ms after an error). Reported per trial: the longest stretch without
// a successful write for each, and how many acknowledged writes the final master does not have.

import IORedis from "ioredis";
import { MASTER_NAME, RESYNC_SECONDS } from "../facts/operator";
import { withConnection } from "../health/connection";
import { MotionLab, startMotionLab, stopMotionLab } from "../lab/motionLab";
import type { MotionPod } from "../lab/operator/motion";
import { withClient } from "../lab/operator/steps";
import { GroupSpec, HOST } from "../lab/redisLab";
import { countLost, median, sleep } from "./support";

export const MOTION_CASES = ["sentinel", "replica", "master", "rolling", "dns", "upgrade"] as const;
export type MotionCase = (typeof MOTION_CASES)[number];

const CADENCE_MS = 25;
const DNS_FROZEN_MS = 120_000;

interface Writer {
    /** Times of successful writes. */
    acks: number[];
    keys: string[];
    stop(): Promise<void>;
}

function newConnectionWriter(lab: MotionLab, prefix: string): Writer {
    const writer = { acks: [] as number[], keys: [] as string[], running: true };
    const done = (async () => {
        for (let n = 0; writer.running; n++) {
            const key = `${prefix}${n}`;
            const ok = await withConnection(lab.front, { password: lab.model.group.spec.password, timeoutMs: 1000 }, (client) =>
                client.set(key, "1"),
            ).catch(() => null);
            if (ok === "OK") {
                writer.acks.push(Date.now());
                writer.keys.push(key);
            }
            await sleep(CADENCE_MS);
        }
    })();
    return { ...writer, stop: async () => ((writer.running = false), await done) };
}

function keptConnectionWriter(lab: MotionLab, prefix: string): Writer {
    const client = new IORedis({
        host: lab.front.host,
        port: lab.front.port,
        password: lab.model.group.spec.password,
        commandTimeout: 1000,
        maxRetriesPerRequest: 0,
        retryStrategy: () => CADENCE_MS,
    });
    client.on("error", () => undefined);
    const writer = { acks: [] as number[], keys: [] as string[], running: true };
    const done = (async () => {
        for (let n = 0; writer.running; n++) {
            const key = `${prefix}${n}`;
            if ((await client.set(key, "1").catch(() => null)) === "OK") {
                writer.acks.push(Date.now());
                writer.keys.push(key);
            }
            await sleep(CADENCE_MS);
        }
    })();
    return { ...writer, stop: async () => ((writer.running = false), await done, client.disconnect()) };
}

/** The longest time between successful writes from `from` to `to` (ms). */
export function longestGap(acks: number[], from: number, to: number): number {
    let longest = 0;
    let last = from;
    for (const at of [...acks.filter((t) => t >= from && t <= to), to]) {
        longest = Math.max(longest, at - last);
        last = at;
    }
    return longest;
}

async function masterAddress(lab: MotionLab): Promise<string> {
    const sentinel = lab.model.sentinels.find((pod) => pod.phase === "Running")!.server;
    const client = new IORedis({ host: sentinel.host, port: sentinel.port, lazyConnect: true, maxRetriesPerRequest: 0 });
    client.on("error", () => undefined);
    try {
        await client.connect();
        return ((await client.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME)) as string[]).join(":");
    } finally {
        client.disconnect();
    }
}

/** Which servers say `role:master`, and what each sentinel names. */
async function groupView(lab: MotionLab): Promise<{ masters: string[]; named: string[] }> {
    const { password } = lab.model.group.spec;
    const address = (pod: MotionPod) => ({ host: pod.server.host ?? HOST, port: pod.server.port });
    const roles = await Promise.all(
        lab.model.redis.map((pod) =>
            withClient(address(pod), password, (client) => client.info("replication")).then(
                (info) => (/role:master/.test(info) ? `${address(pod).host}:${address(pod).port}` : undefined),
                () => undefined,
            ),
        ),
    );
    const named = await Promise.all(
        lab.model.sentinels.map((pod) =>
            withClient(address(pod), undefined, (client) => client.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME)).then(
                (reply) => (reply as string[]).join(":"),
                () => "no answer",
            ),
        ),
    );
    return { masters: roles.filter((role): role is string => role !== undefined), named };
}

/** Settled: one server says `role:master`, and every sentinel names it. */
const settledOn = (view: { masters: string[]; named: string[] }) =>
    view.masters.length === 1 && view.named.every((name) => name === view.masters[0]) ? view.masters[0] : undefined;

/**
 * The acknowledged writes the group's master does not have once the drill has settled: the one
 * redis that says `role:master`. A group that has not settled (no single master, or sentinels that
 * name another) is said so, rather than counted against a server nobody writes to.
 */
async function lostOf(lab: MotionLab, keys: string[]): Promise<{ lost: number; unsettled?: string }> {
    const view = await groupView(lab);
    if (view.masters.length !== 1) {
        return {
            lost: NaN,
            unsettled: `${view.masters.length} servers say role:master at the end; the sentinels name ${view.named.join(", ")}`,
        };
    }
    const unsettled = settledOn(view) ? undefined : `the sentinels name ${view.named.join(", ")}; the master is ${view.masters[0]}`;
    const [host, port] = view.masters[0].split(":");
    const lost = await countLost({ host, port: Number(port) }, lab.model.group.spec.password, keys);
    return { lost, ...(unsettled ? { unsettled } : {}) };
}

/** Waits (at most a minute) until the group has settled, so an outage is measured to its end. */
async function untilSettled(lab: MotionLab): Promise<void> {
    for (const started = Date.now(); Date.now() - started < 60_000; await sleep(200)) {
        if (settledOn(await groupView(lab))) return;
    }
}

export interface MotionTrial {
    newConnectionGapMs: number;
    keptConnectionGapMs: number;
    lost: number;
    /** Why the group had not settled when the trial ended, if it had not. */
    unsettled?: string;
    /** master, upgrade: from Sentinel's switch to the first write through a new connection. */
    afterSwitchMs?: number;
}

/** One trial of `motion` on a fresh group. */
export async function motionTrial(
    spec: GroupSpec,
    root: string,
    motion: MotionCase,
    block: number,
    log?: (line: string) => void,
    passIntervalMs = RESYNC_SECONDS * 1000,
): Promise<MotionTrial> {
    const lab = await startMotionLab(spec, root, { block, passIntervalMs, ...(log ? { log } : {}) });
    const { model } = lab;
    model.start();
    const fresh = newConnectionWriter(lab, "new:");
    const kept = keptConnectionWriter(lab, "kept:");
    let switchedAt: number | undefined;
    try {
        await sleep(1000);
        const started = Date.now();
        const before = await masterAddress(lab);
        const masterIndex = model.redis.findIndex((pod) => `${pod.server.host}:${pod.server.port}` === before);
        if (motion === "sentinel") {
            await model.recreateSentinel(0);
            await sleep(35_000);
        } else if (motion === "replica") {
            await model.recreateRedis((masterIndex + 1) % model.redis.length);
            await sleep(35_000);
        } else if (motion === "master") {
            const deleted = model.recreateRedis(masterIndex);
            while (switchedAt === undefined && Date.now() - started < 40_000) {
                if ((await masterAddress(lab).catch(() => before)) !== before) switchedAt = Date.now();
                else await sleep(20);
            }
            await deleted;
            await sleep(35_000);
        } else if (motion === "rolling") {
            model.revision.redis++;
            const sentinels = model.rollSentinels();
            const current = () => model.redis.every((pod) => pod.revision === model.revision.redis && pod.phase === "Running");
            while (!current() && Date.now() - started < 600_000) await sleep(500);
            await sentinels;
            await model.settled();
            await sleep(5000);
        } else if (motion === "upgrade") {
            // An image change: the redis StatefulSet only, in the operator's update order.
            model.revision.redis++;
            const current = () => model.redis.every((pod) => pod.revision === model.revision.redis && pod.phase === "Running");
            while (!current() && Date.now() - started < 600_000) {
                if (switchedAt === undefined && (await masterAddress(lab).catch(() => before)) !== before) switchedAt = Date.now();
                await sleep(switchedAt === undefined ? 20 : 500);
            }
            await model.settled();
            await sleep(5000);
        } else {
            lab.dns.freeze();
            await sleep(DNS_FROZEN_MS);
            lab.dns.thaw();
            await sleep(5000);
        }
        // An outage still going on is measured to its end (a minute at most).
        await untilSettled(lab);
        const ended = Date.now();
        await Promise.all([fresh.stop(), kept.stop()]);
        return {
            newConnectionGapMs: longestGap(fresh.acks, started, ended),
            keptConnectionGapMs: longestGap(kept.acks, started, ended),
            ...(await lostOf(lab, [...fresh.keys, ...kept.keys])),
            ...(switchedAt === undefined ? {} : { afterSwitchMs: (fresh.acks.find((at) => at > switchedAt!) ?? ended) - switchedAt }),
        };
    } finally {
        await Promise.all([fresh.stop(), kept.stop()]);
        await stopMotionLab(lab);
    }
}

const seconds = (ms: number) => (ms / 1000).toFixed(2);

/** Runs `trials` of each case and prints one line per case. */
export async function runMotionDrills(
    root: string,
    trials: number,
    spec: GroupSpec,
    cases: MotionCase[],
    verbose = false,
    passSeconds = RESYNC_SECONDS,
): Promise<void> {
    const started = Date.now();
    const log = verbose ? (line: string) => process.stderr.write(`  ${((Date.now() - started) / 1000).toFixed(2)} ${line}\n`) : undefined;
    console.log(
        `\n## motion drills (3 redis, 3 sentinels, down-after-milliseconds ${spec.downAfterMilliseconds}, failover-timeout ${spec.failoverTimeout}; operator pass every ${passSeconds} s; ${trials} trials each)`,
    );
    console.log(
        "case      longest without a write, s: new conn every 25 ms / kept conn (median, max)   after switch s   acked lost per trial",
    );
    let block = 100;
    for (const motion of cases) {
        const results: MotionTrial[] = [];
        for (let i = 0; i < trials; i++) {
            results.push(await motionTrial(spec, root, motion, block++, log, passSeconds * 1000));
            process.stderr.write(".");
        }
        const fresh = results.map((r) => r.newConnectionGapMs);
        const kept = results.map((r) => r.keptConnectionGapMs);
        const switches = results.flatMap((r) => (r.afterSwitchMs === undefined ? [] : [r.afterSwitchMs]));
        console.log(
            `${motion.padEnd(9)} ${`${seconds(median(fresh))}, ${seconds(Math.max(...fresh))} / ${seconds(median(kept))}, ${seconds(Math.max(...kept))}`.padEnd(78)} ` +
                `${(switches.length ? `${seconds(median(switches))}, ${seconds(Math.max(...switches))}` : "-").padEnd(16)} ` +
                results.map((r) => (Number.isNaN(r.lost) ? "?" : String(r.lost))).join(", "),
        );
        for (const [i, r] of results.entries()) if (r.unsettled) console.log(`          trial ${i + 1} had not settled: ${r.unsettled}`);
    }
}
