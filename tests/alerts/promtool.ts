// Rules files and `promtool test rules` unit tests generated from the rendered alert rules: for
// each alert, input series under which it fires (checked one step before its `for:` has elapsed,
// then when it has) and series under which it stays silent, for one instance.

import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { AlertRule } from "../../render/alertRules";
import { InstanceConfig } from "../../config/types";
import { MASTER_NAME, redisName, sentinelName } from "../../facts/operator";

/** Debian's `prometheus` package installs it. */
export const PROMTOOL = "promtool";

/** A rule group as a Prometheus rules file (and a PrometheusRule's `spec.groups`) holds it. */
export interface RuleGroup {
    name: string;
    rules: AlertRule[];
}

/** One input series: a value per minute from 0 (`undefined`: no sample, as before a series exists). */
export interface InputSeries {
    metric: string;
    labels: Record<string, string>;
    value: (minute: number) => number | undefined;
}

/** Series under which an alert fires from minute `since` + its `for:` on, and the alerts' own labels. */
export interface FiringCase {
    series: InputSeries[];
    /** First minute at which the expression returns something. */
    since: number;
    /** The labels each alert gets from its series (the rule's labels are added). */
    alerts: Record<string, string>[];
}

/** Both cases of one alert. */
export interface AlertCase {
    firing: FiringCase;
    /** Series under which it never fires (checked after every 5-minute window has filled). */
    silent: InputSeries[];
}

/** Minutes of a rule's `for:` (`0m`, `2m`, `1h`, `90s` when whole minutes). */
export function forMinutes(duration: string): number {
    const match = /^(\d+)(s|m|h)$/.exec(duration);
    if (!match) throw new Error(`unsupported for: ${duration}`);
    const seconds = Number(match[1]) * { s: 1, m: 60, h: 3600 }[match[2] as "s" | "m" | "h"];
    if (seconds % 60 !== 0) throw new Error(`for: ${duration} is not whole minutes`);
    return seconds / 60;
}

/** The input series and expectations of every alert of one instance, keyed by alert name. */
export function alertCases(namespace: string, instance: InstanceConfig, memoryRatio: number): Record<string, AlertCase> {
    const redis0 = { namespace, pod: `${redisName(instance.name)}-0` };
    const redis1 = { namespace, pod: `${redisName(instance.name)}-1` };
    // A Deployment's pod: `<deployment>-<replicaset hash>-<suffix>`.
    const sentinel0 = { namespace, pod: `${sentinelName(instance.name)}-5d8f7c9b6-x7k2p` };
    const constant = (value: number) => () => value;
    const info = (labels: Record<string, string>, role: string): InputSeries => ({
        metric: "redis_instance_info",
        labels: { ...labels, role, redis_mode: "standalone" },
        value: constant(1),
    });
    const link = (value: number): InputSeries => ({
        metric: "redis_master_link_up",
        labels: { ...redis1, master_host: "10.0.1.17", master_port: "6379" },
        value: constant(value),
    });
    const quorum = (ok: boolean): InputSeries => ({
        metric: "redis_sentinel_master_ckquorum_status",
        labels: {
            ...sentinel0,
            master_name: MASTER_NAME,
            message: ok
                ? "OK 3 usable Sentinels. Quorum and failover authorization can be reached"
                : "NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the majority and authorize a failover",
        },
        value: constant(ok ? 1 : 0),
    });
    const max = 1024 * 1024 * 1024;
    const memory = (labels: Record<string, string>, used: number, maxBytes: number): InputSeries[] => [
        { metric: "redis_memory_used_bytes", labels, value: constant(used) },
        { metric: "redis_memory_max_bytes", labels, value: constant(maxBytes) },
    ];
    const job = { job: `${namespace}/redis-ha-exporters` };
    const up = (labels: Record<string, string>, value: number): InputSeries => ({
        metric: "up",
        labels: { ...labels, ...job },
        value: constant(value),
    });
    const redisUp = (labels: Record<string, string>, value: number): InputSeries => ({
        metric: "redis_up",
        labels: { ...labels, ...job },
        value: constant(value),
    });
    const counter = (metric: string, labels: Record<string, string>, value: (minute: number) => number | undefined): InputSeries => ({
        metric,
        labels,
        value,
    });
    return {
        RedisNoMaster: {
            firing: { series: [info(redis0, "slave"), info(redis1, "slave")], since: 0, alerts: [{ namespace, role: "master" }] },
            silent: [info(redis0, "master"), info(redis1, "slave")],
        },
        RedisSplitBrain: {
            firing: { series: [info(redis0, "master"), info(redis1, "master")], since: 0, alerts: [{}] },
            silent: [info(redis0, "master"), info(redis1, "slave")],
        },
        RedisSentinelQuorumLost: {
            firing: { series: [quorum(false)], since: 0, alerts: [{}] },
            silent: [quorum(true)],
        },
        RedisReplicaLinkDown: {
            firing: { series: [link(0)], since: 0, alerts: [link(0).labels] },
            silent: [link(1)],
        },
        RedisMemoryNearMaxmemory: {
            firing: { series: memory(redis0, Math.ceil(max * ((1 + memoryRatio) / 2)), max), since: 0, alerts: [redis0] },
            // Below the ratio; and a redis without maxmemory (0), where the ratio is +Inf.
            silent: [...memory(redis0, Math.floor(max * memoryRatio * 0.9), max), ...memory(redis1, 1024 * 1024, 0)],
        },
        RedisExporterDown: {
            // rfr-0's exporter is not scraped (its series go stale: only `up`); rfr-1's cannot read redis.
            firing: {
                series: [up(redis0, 0), up(redis1, 1), redisUp(redis1, 0)],
                since: 0,
                alerts: [
                    { ...redis0, ...job },
                    { ...redis1, ...job },
                ],
            },
            silent: [up(redis0, 1), redisUp(redis0, 1), up(redis1, 1), redisUp(redis1, 1)],
        },
        RedisEvictionOnNoeviction: {
            firing: { series: [counter("redis_evicted_keys_total", redis0, (m) => (m < 3 ? 0 : 4))], since: 3, alerts: [redis0] },
            silent: [counter("redis_evicted_keys_total", redis0, constant(12))],
        },
        RedisRejectingWrites: {
            // From minute 7, so that every series has been there for more than the 5-minute window.
            firing: {
                series: [
                    // The first OOM since redis started: the series appears (as the real exporter shows).
                    counter("redis_errors_total", { ...redis0, err: "OOM" }, (m) => (m < 7 ? undefined : 5)),
                    // Rejections going on: the counter grows.
                    counter("redis_errors_total", { ...redis1, err: "OOM" }, (m) => (m < 7 ? 2 : m - 4)),
                ],
                since: 7,
                alerts: [
                    { ...redis0, err: "OOM" },
                    { ...redis1, err: "OOM" },
                ],
            },
            // OOM errors long past, and other errors growing.
            silent: [
                counter("redis_errors_total", { ...redis0, err: "OOM" }, constant(5)),
                counter("redis_errors_total", { ...redis1, err: "ERR" }, (m) => m),
            ],
        },
    };
}

function seriesText(series: InputSeries, minutes: number): { series: string; values: string } {
    const labels = Object.entries(series.labels).map(([name, value]) => `${name}=${JSON.stringify(value)}`);
    const values = Array.from({ length: minutes + 1 }, (_, minute) => series.value(minute)).map((value) =>
        value === undefined ? "_" : String(value),
    );
    return { series: `${series.metric}{${labels.join(",")}}`, values: values.join(" ") };
}

/** A `promtool test rules` file: one firing and one silent test per rule, each from its case. */
export function unitTests(rulesFile: string, rules: AlertRule[], cases: Record<string, AlertCase>): unknown {
    const tests = rules.flatMap((rule) => {
        const found = cases[rule.alert];
        if (!found) throw new Error(`no promtool case for ${rule.alert}`);
        const hold = forMinutes(rule.for);
        const fires = found.firing.since + hold;
        const expected = found.firing.alerts.map((labels) => ({
            exp_labels: { ...rule.labels, ...labels },
            exp_annotations: rule.annotations,
        }));
        const firingEnd = fires + 2;
        const quietTimes = [hold + 6, hold + 9];
        return [
            {
                name: `${rule.alert} fires`,
                interval: "1m",
                input_series: found.firing.series.map((s) => seriesText(s, firingEnd)),
                alert_rule_test: [
                    // One step before: the condition does not hold yet, or holds for less than `for:`.
                    ...(fires >= 1 ? [{ eval_time: `${fires - 1}m`, alertname: rule.alert, exp_alerts: [] }] : []),
                    { eval_time: `${fires}m`, alertname: rule.alert, exp_alerts: expected },
                    { eval_time: `${firingEnd}m`, alertname: rule.alert, exp_alerts: expected },
                ],
            },
            {
                name: `${rule.alert} stays silent`,
                interval: "1m",
                input_series: found.silent.map((s) => seriesText(s, quietTimes[1] + 1)),
                alert_rule_test: quietTimes.map((minute) => ({ eval_time: `${minute}m`, alertname: rule.alert, exp_alerts: [] })),
            },
        ];
    });
    return { rule_files: [rulesFile], evaluation_interval: "1m", tests };
}

/** Writes `groups` as a Prometheus rules file. */
export function writeRulesFile(file: string, groups: RuleGroup[]): void {
    fs.writeFileSync(file, yaml.dump({ groups }, { lineWidth: -1, noRefs: true }));
}

/** Runs promtool in `dir`; its exit code and output. */
export function promtool(dir: string, ...args: string[]): { status: number; output: string } {
    const run = spawnSync(PROMTOOL, args, { cwd: dir, encoding: "utf8", timeout: 30_000 });
    if (run.error) throw new Error(`${PROMTOOL} did not run (is Debian's prometheus package installed?): ${run.error.message}`);
    return { status: run.status ?? -1, output: `${run.stdout}${run.stderr}` };
}

/**
 * Writes the unit tests generated from `group` and a rules file holding only `loaded` (by default
 * `group` itself; another set of rules to see the tests fail), and runs them.
 */
export function testRules(
    dir: string,
    group: RuleGroup,
    cases: Record<string, AlertCase>,
    loaded: RuleGroup = group,
): { status: number; output: string } {
    writeRulesFile(path.join(dir, `${group.name}.rules.yml`), [{ ...loaded, name: group.name }]);
    fs.writeFileSync(
        path.join(dir, `${group.name}.test.yml`),
        yaml.dump(unitTests(`${group.name}.rules.yml`, group.rules, cases), { lineWidth: -1, noRefs: true }),
    );
    return promtool(dir, "test", "rules", `${group.name}.test.yml`);
}
