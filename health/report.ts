// What a round of checks reports: the check names in their order, each result, the verdict, and
// the report as text. Pure, no I/O.

/** The checks every round runs against the servers, in the order they are reported. */
export const CHECK_NAMES = [
    "sentinels-reachable",
    "master-known",
    "sentinels-agree",
    "master-up",
    "quorum",
    "sentinel-count",
    "replica-count",
    "membership",
    "redis-reachable",
    "single-master",
    "replication",
    "maxmemory-policy",
    "maxmemory",
    "write-probe",
] as const;

/**
 * The checks of the cluster objects, only on the Kubernetes path, reported before the others:
 * the RedisFailover's pods run and are ready, its Services exist and none is exposed.
 */
export const KUBERNETES_CHECK_NAMES = ["pods", "services"] as const;

/**
 * The checks of the front, only when the target names front endpoints, reported after the others:
 * a report of a group without a front is the same as before fronts existed.
 */
export const FRONT_CHECK_NAMES = ["front-serves-master"] as const;

/** One check's name. */
/** Reported last on that path, and only when a forward failed: what the kubelet said. */
export const FORWARD_CHECK_NAME = "port-forward" as const;

export type CheckName =
    (typeof KUBERNETES_CHECK_NAMES)[number] | (typeof CHECK_NAMES)[number] | (typeof FRONT_CHECK_NAMES)[number] | typeof FORWARD_CHECK_NAME;

const NOT_CHECKED = "not checked: ";

/** One check's outcome. */
export interface CheckResult {
    /** Which check. */
    name: CheckName;
    /** Whether it holds. */
    ok: boolean;
    /** What was seen. */
    detail: string;
}

/** The outcome of one round of checks. Holds no secret. */
export interface HealthReport {
    /** Every check holds. */
    healthy: boolean;
    /** The master the sentinels name, `host:port`, when they agree. */
    master?: string;
    /**
     * Every check, in order: `KUBERNETES_CHECK_NAMES` (on that path), `CHECK_NAMES`, then
     * `FRONT_CHECK_NAMES` (when the target names fronts), then `FORWARD_CHECK_NAME` (when a forward failed).
     */
    checks: CheckResult[];
    /** How long the round took. */
    durationMs: number;
}

/** The checks of the servers a round reports: `CHECK_NAMES`, then the front's when there are fronts. */
export function serverCheckNames(hasFronts: boolean): readonly CheckName[] {
    return hasFronts ? [...CHECK_NAMES, ...FRONT_CHECK_NAMES] : CHECK_NAMES;
}

/** `checks` followed by every check of `names` not among them, failed with `not checked: reason`. */
export function notChecked(checks: CheckResult[], reason: string, names: readonly CheckName[] = CHECK_NAMES): CheckResult[] {
    const done = new Set(checks.map((check) => check.name));
    return [
        ...checks,
        ...names
            .filter((name) => !done.has(name))
            .map((name): CheckResult => ({
                name,
                ok: false,
                detail: `${NOT_CHECKED}${reason}`,
            })),
    ];
}

/** A round's report: healthy when every check holds. */
export function healthReport(checks: CheckResult[], master: string | undefined, durationMs: number): HealthReport {
    return { healthy: checks.every((check) => check.ok), master, checks, durationMs };
}

/** The failing checks of a report, one line each. */
export function describeFailures(report: HealthReport): string[] {
    return report.checks.filter((check) => !check.ok).map((check) => `${check.name}: ${check.detail}`);
}

/**
 * The failing checks, one line each, with the checks a round could not run folded into one line
 * (`13 checks not run (no sentinel pod running)`): what progress and timeout messages print.
 */
export function summarizeFailures(report: HealthReport): string[] {
    const failing = report.checks.filter((check) => !check.ok);
    const skipped = failing.filter((check) => check.detail.startsWith(NOT_CHECKED));
    const lines = failing.filter((check) => !skipped.includes(check)).map((check) => `${check.name}: ${check.detail}`);
    if (skipped.length > 0) {
        const reason = skipped[0].detail.slice(NOT_CHECKED.length);
        lines.push(skipped.length === 1 ? `${skipped[0].name} not run (${reason})` : `${skipped.length} checks not run (${reason})`);
    }
    return lines;
}

/** The report as a table, one check a line, then the verdict. */
export function formatReport(report: HealthReport): string {
    const width = Math.max(...report.checks.map((check) => check.name.length));
    const lines = report.checks.map((check) => `${check.ok ? "ok  " : "FAIL"}  ${check.name.padEnd(width)}  ${check.detail}`);
    lines.push(
        "",
        `${report.healthy ? "healthy" : "UNHEALTHY"}${report.master ? `: master ${report.master}` : ""} (${report.durationMs} ms)`,
    );
    return lines.join("\n");
}
