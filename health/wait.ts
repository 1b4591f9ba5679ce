// A round of checks (prepare the round, ask every server, then apply the rules) and the polling
// that `pulumi up` and `verify --wait` do until the group is healthy or time runs out.

import type { Target } from "./connection";
import { frontServesMaster } from "./front";
import { askFront, askRedis, askSentinel, tryWrite } from "./probes";
import type { TargetSource } from "./reach";
import { HealthReport, healthReport, notChecked, serverCheckNames } from "./report";
import { Expectations, judgeRedis, judgeSentinels, writeProbe } from "./rules";

const DEFAULT_PROBE_TIMEOUT_MS = 1000;

/**
 * Runs every check once and reports what holds and what does not. A target source prepares the
 * round first (on the Kubernetes path: lists the pods and Services again, forwards new pods).
 */
export async function checkOnce(source: Target | TargetSource, expected: Expectations): Promise<HealthReport> {
    const started = Date.now();
    if (!("round" in source)) {
        return checkServers(source, expected, started);
    }
    const round = await source.round(expected);
    const before = round.checks ?? [];
    if (round.stop !== undefined) {
        return healthReport(
            notChecked(before, round.stop, serverCheckNames(round.target.fronts !== undefined)),
            undefined,
            Date.now() - started,
        );
    }
    const report = await checkServers(round.target, expected, started);
    return healthReport([...before, ...report.checks, ...(round.after?.() ?? [])], report.master, report.durationMs);
}

/** The checks of the servers, from what the sentinels say. */
async function checkServers(target: Target, expected: Expectations, started: number): Promise<HealthReport> {
    const timeoutMs = target.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
    const names = serverCheckNames(target.fronts !== undefined);
    const views = await Promise.all(target.sentinels.map((endpoint) => askSentinel(endpoint, expected.masterName, timeoutMs)));
    const sentinels = judgeSentinels(views, expected, target.membership);
    if (sentinels.stop !== undefined) {
        return healthReport(notChecked(sentinels.checks, sentinels.stop, names), undefined, Date.now() - started);
    }
    const redis = await Promise.all(sentinels.redis.map((address) => askRedis(address, target, timeoutMs)));
    const servers = judgeRedis(redis, sentinels.master, expected);
    const checks = [...sentinels.checks, ...servers.checks];
    if (servers.stop !== undefined) {
        return healthReport(notChecked(checks, servers.stop, names), sentinels.agreed, Date.now() - started);
    }
    const problem = await tryWrite(sentinels.master, target, timeoutMs);
    checks.push(writeProbe(sentinels.master, problem));
    if (target.fronts !== undefined) {
        const fronts = await Promise.all(target.fronts.map((front) => askFront(front, target.password, timeoutMs)));
        checks.push(frontServesMaster(fronts, sentinels.agreed, redis));
    }
    return healthReport(checks, sentinels.agreed, Date.now() - started);
}

/**
 * Checks until healthy or until `timeoutMs` has passed, reporting each unhealthy round through
 * `onProgress`. Returns the last report, healthy or not. Pods that are not there yet are a round
 * like any other: waiting covers the operator still creating them.
 */
export async function waitUntilHealthy(
    source: Target | TargetSource,
    expected: Expectations,
    options: { timeoutMs: number; intervalMs?: number; onProgress?: (report: HealthReport, elapsedMs: number) => void },
): Promise<HealthReport> {
    const started = Date.now();
    for (;;) {
        const report = await checkOnce(source, expected);
        const elapsed = Date.now() - started;
        if (report.healthy || elapsed >= options.timeoutMs) {
            return report;
        }
        options.onProgress?.(report, elapsed);
        await new Promise((resolve) => setTimeout(resolve, Math.min(options.intervalMs ?? 2000, Math.max(0, options.timeoutMs - elapsed))));
    }
}
