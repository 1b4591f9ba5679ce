// What the answers mean: pure functions from the servers' views to check results, no I/O. Each
// rule gives one check of `CHECK_NAMES` (./report); `judgeSentinels` and `judgeRedis` apply them
// in that order.

import { Endpoint, formatEndpoint as label } from "./connection";
import { Membership, membershipCheck } from "./membership";
import type { RedisView, SentinelView } from "./probes";
import type { CheckName, CheckResult } from "./report";

/** What the group must look like. */
export interface Expectations {
    /** Sentinel's name for the master (`MASTER_NAME` for the operator's groups). */
    masterName: string;
    /** `maxmemory-policy` every redis must have. */
    maxmemoryPolicy: string;
    /** `maxmemory` in bytes every redis must have; unchecked when absent. */
    maxmemoryBytes?: number;
    /** Redis servers: one master plus replicas. */
    redisCount: number;
    /** Sentinels. */
    sentinelCount: number;
    /** Replication lag, in seconds, above which a replica is reported. */
    maxLagSeconds?: number;
}

const DEFAULT_MAX_LAG_SECONDS = 5;

function result(name: CheckName, ok: boolean, detail: string): CheckResult {
    return { name, ok, detail };
}

function hasFlag(flags: string | undefined, ...wanted: string[]): boolean {
    const set = new Set((flags ?? "").split(","));
    return wanted.some((flag) => set.has(flag));
}

/** Every sentinel answers. */
export function sentinelsReachable(views: SentinelView[]): CheckResult {
    const silent = views.filter((view) => view.error);
    const answering = views.length - silent.length;
    const detail = silent.length
        ? `${answering}/${views.length} answer; ${silent.map((v) => `${label(v.endpoint)}: ${v.error}`).join("; ")}`
        : `${views.length}/${views.length} answer`;
    return result("sentinels-reachable", silent.length === 0 && views.length > 0, detail);
}

/** Every answering sentinel knows the master name. */
export function masterKnown(answering: SentinelView[], masterName: string): CheckResult {
    const unknowing = answering.filter((view) => !view.masterAddress);
    const detail = unknowing.length
        ? `${unknowing.map((v) => label(v.endpoint)).join(", ")} know no master named "${masterName}"`
        : `all name a master "${masterName}"`;
    return result("master-known", unknowing.length === 0, detail);
}

/** The masters the knowing sentinels name, `host:port`, each once. */
function namedMasters(knowing: SentinelView[]): string[] {
    return [...new Set(knowing.map((view) => label(view.masterAddress!)))];
}

/** The master, `host:port`, when every knowing sentinel names the same one. */
export function agreedMaster(knowing: SentinelView[]): string | undefined {
    const named = namedMasters(knowing);
    return named.length === 1 ? named[0] : undefined;
}

/** All knowing sentinels name the same master. */
export function sentinelsAgree(knowing: SentinelView[]): CheckResult {
    const named = namedMasters(knowing);
    return result(
        "sentinels-agree",
        named.length === 1,
        named.length === 1 ? `master ${named[0]}` : `sentinels name different masters: ${named.join(", ")}`,
    );
}

/** No sentinel flags the master `s_down` or `o_down`. */
export function masterUp(knowing: SentinelView[]): CheckResult {
    const down = knowing.filter((view) => hasFlag(view.master?.flags, "s_down", "o_down"));
    const detail = down.length
        ? `master flagged down (${down.map((v) => `${label(v.endpoint)}: ${v.master?.flags}`).join("; ")})`
        : `no sentinel flags it down`;
    return result("master-up", down.length === 0, detail);
}

/** `SENTINEL CKQUORUM` is OK on every knowing sentinel. */
export function quorum(knowing: SentinelView[]): CheckResult {
    const noQuorum = knowing.filter((view) => !String(view.quorum).startsWith("OK"));
    const detail = noQuorum.length ? noQuorum.map((v) => `${label(v.endpoint)}: ${v.quorum}`).join("; ") : "CKQUORUM OK on every sentinel";
    return result("quorum", noQuorum.length === 0, detail);
}

/** As many sentinels answer, and each sees as many healthy ones (itself included), as expected. */
export function sentinelCount(answering: SentinelView[], knowing: SentinelView[], expected: Expectations): CheckResult {
    const counts = knowing.map(
        (view) => 1 + (view.sentinels ?? []).filter((s) => !hasFlag(s.flags, "s_down", "o_down", "disconnected")).length,
    );
    const ok = answering.length === expected.sentinelCount && counts.every((count) => count === expected.sentinelCount);
    return result(
        "sentinel-count",
        ok,
        `expected ${expected.sentinelCount}; ${answering.length} answer; each sees ${counts.join("/")} healthy sentinels (itself included)`,
    );
}

/**
 * Each sentinel sees the expected number of healthy replicas. A replica counts only if its flags
 * are clean and its link to the master is up: num-slaves and CKQUORUM stay happy with unreachable
 * replicas.
 */
export function replicaCount(knowing: SentinelView[], expected: Expectations): CheckResult {
    const unhealthy = (r: Record<string, string>) =>
        hasFlag(r.flags, "s_down", "o_down", "disconnected") || r["master-link-status"] !== "ok";
    const counts = knowing.map((view) => (view.replicas ?? []).filter((r) => !unhealthy(r)).length);
    const bad = knowing.flatMap((view) =>
        (view.replicas ?? []).filter(unhealthy).map((r) => `${r.ip}:${r.port} (${r.flags}, link ${r["master-link-status"]})`),
    );
    const detail =
        `expected ${expected.redisCount - 1} healthy replicas; sentinels see ${counts.join("/")}` +
        (bad.length ? `; unhealthy: ${[...new Set(bad)].join(", ")}` : "");
    return result(
        "replica-count",
        counts.every((count) => count === expected.redisCount - 1),
        detail,
    );
}

/** Every redis any knowing sentinel names: the master first, then every replica, each once. */
export function redisAddresses(knowing: SentinelView[], master: Endpoint): Endpoint[] {
    const addresses = new Map<string, Endpoint>([[label(master), master]]);
    for (const view of knowing) {
        for (const replica of view.replicas ?? []) {
            const endpoint = { host: replica.ip, port: Number(replica.port) };
            addresses.set(label(endpoint), endpoint);
        }
    }
    return [...addresses.values()];
}

/** Every redis answers with the password; a wrong one is named as such. */
export function redisReachable(redis: RedisView[]): CheckResult {
    const unreachable = redis.filter((view) => view.error);
    const why = (error = "") => (/WRONGPASS|NOAUTH|invalid password/i.test(error) ? `authentication failed (${error})` : error);
    const detail = unreachable.length
        ? unreachable.map((v) => `${label(v.address)}: ${why(v.error)}`).join("; ")
        : `${redis.length}/${redis.length} answer`;
    return result("redis-reachable", unreachable.length === 0, detail);
}

/** Exactly one answering server reports `role:master`, and it is the one Sentinel names. */
export function singleMaster(reached: RedisView[], master: Endpoint): CheckResult {
    const masters = reached.filter((view) => view.replication?.role === "master");
    const masterView = reached.find((view) => label(view.address) === label(master));
    const sentinelMasterIsMaster = !masterView || masterView.replication?.role === "master";
    let detail: string;
    if (masters.length > 1) {
        detail = `split brain: ${masters.length} servers report role:master (${masters.map((v) => label(v.address)).join(", ")})`;
    } else if (masters.length === 0) {
        detail = "no server reports role:master";
    } else {
        detail = sentinelMasterIsMaster
            ? `${label(masters[0].address)} is the only master`
            : `sentinels name ${label(master)}, which reports role:${masterView?.replication?.role}`;
    }
    return result("single-master", masters.length === 1 && sentinelMasterIsMaster, detail);
}

/** The master has every replica online within the lag bound; every replica's link is up. */
export function replication(reached: RedisView[], master: Endpoint, expected: Expectations): CheckResult {
    const maxLag = expected.maxLagSeconds ?? DEFAULT_MAX_LAG_SECONDS;
    const problems: string[] = [];
    const info = reached.find((view) => label(view.address) === label(master))?.replication;
    if (info) {
        const online = Object.keys(info).filter((key) => /^slave\d+$/.test(key) && /state=online/.test(info[key]));
        if (online.length !== expected.redisCount - 1) {
            problems.push(`master has ${online.length} online replicas, expected ${expected.redisCount - 1}`);
        }
        for (const key of online) {
            const lag = Number(/lag=(\d+)/.exec(info[key])?.[1] ?? 0);
            if (lag > maxLag)
                problems.push(
                    `${info[key]
                        .split(",")
                        .slice(0, 2)
                        .join(":")
                        .replace(/ip=|port=/g, "")} lags ${lag}s`,
                );
        }
    } else {
        problems.push(`master ${label(master)} did not answer`);
    }
    for (const view of reached.filter((v) => v.replication?.role === "slave")) {
        if (view.replication?.master_link_status !== "up") {
            problems.push(`${label(view.address)} master_link_status:${view.replication?.master_link_status}`);
        }
    }
    return result("replication", problems.length === 0, problems.length ? problems.join("; ") : `every replica linked, lag <= ${maxLag}s`);
}

/** Every answering server, replicas included, has the expected `maxmemory-policy`. */
export function maxmemoryPolicy(reached: RedisView[], expected: Expectations): CheckResult {
    const wrong = reached.filter((view) => view.policy !== expected.maxmemoryPolicy);
    const detail = wrong.length
        ? `expected ${expected.maxmemoryPolicy}; ${wrong.map((v) => `${label(v.address)} has ${v.policy}`).join("; ")}`
        : `${expected.maxmemoryPolicy} on ${reached.length} servers`;
    return result("maxmemory-policy", wrong.length === 0, detail);
}

/** Every answering server has the expected `maxmemory`, when one is expected. */
export function maxmemory(reached: RedisView[], expected: Expectations): CheckResult {
    const bytes = expected.maxmemoryBytes;
    if (bytes === undefined) {
        return result("maxmemory", true, "not asked for");
    }
    const wrong = reached.filter((view) => view.maxmemory !== bytes);
    const detail = wrong.length
        ? `expected ${bytes} bytes; ${wrong.map((v) => `${label(v.address)} has ${v.maxmemory}`).join("; ")}`
        : `${bytes} bytes on ${reached.length} servers`;
    return result("maxmemory", wrong.length === 0, detail);
}

/** The write probe on the master worked (`problem` is what went wrong, if anything). */
export function writeProbe(master: Endpoint, problem: string | undefined): CheckResult {
    return result(
        "write-probe",
        problem === undefined,
        problem === undefined ? `write, read and delete on ${label(master)}` : `on ${label(master)}: ${problem}`,
    );
}

/** The sentinel checks; `stop` says why the rest cannot run, or `master` is where to look next. */
export type SentinelJudgement =
    | { checks: CheckResult[]; stop: string }
    | { checks: CheckResult[]; stop?: undefined; master: Endpoint; agreed?: string; redis: Endpoint[] };

/** Applies the sentinel rules to every sentinel's view; `membership` is who belongs to the group, if known. */
export function judgeSentinels(views: SentinelView[], expected: Expectations, membership?: Membership): SentinelJudgement {
    const answering = views.filter((view) => !view.error);
    const checks = [sentinelsReachable(views)];
    if (answering.length === 0) {
        return { checks, stop: "no sentinel answers" };
    }
    checks.push(masterKnown(answering, expected.masterName));
    const knowing = answering.filter((view) => view.masterAddress);
    if (knowing.length === 0) {
        return { checks, stop: `no sentinel knows "${expected.masterName}"` };
    }
    const master = knowing[0].masterAddress!;
    checks.push(
        sentinelsAgree(knowing),
        masterUp(knowing),
        quorum(knowing),
        sentinelCount(answering, knowing, expected),
        replicaCount(knowing, expected),
        membershipCheck(knowing, membership),
    );
    return { checks, master, agreed: agreedMaster(knowing), redis: redisAddresses(knowing, master) };
}

/** Applies the redis rules to every redis's view; `stop` when none answered. */
export function judgeRedis(redis: RedisView[], master: Endpoint, expected: Expectations): { checks: CheckResult[]; stop?: string } {
    const reached = redis.filter((view) => !view.error);
    const checks = [redisReachable(redis), singleMaster(reached, master), replication(reached, master, expected)];
    if (reached.length === 0) {
        return { checks, stop: "no redis answers" };
    }
    return { checks: [...checks, maxmemoryPolicy(reached, expected), maxmemory(reached, expected)] };
}
