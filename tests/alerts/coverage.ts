// Whether alert rules only use what a real redis_exporter scrape contains: every metric name, and
// every matcher on a label the exporter writes (`role`, `err`, `master_name`...).

import { AlertRule } from "../../render/alertRules";
import { Sample } from "../../lab/exporter";
import { matches, Selector, selectorsIn } from "./promql";

/**
 * Labels Prometheus adds to every series of a target found through the PodMonitor (Kubernetes
 * service discovery and the prometheus-operator's relabelling), not written by the exporter.
 */
export const TARGET_LABELS = new Set(["namespace", "pod", "container", "endpoint", "instance", "job", "service"]);

/** Series Prometheus itself writes for every target: they appear in no exporter's scrape. */
export const PROMETHEUS_SERIES = new Set([
    "up",
    "scrape_duration_seconds",
    "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling",
    "scrape_series_added",
]);

/** Which exporter a selector reads: the redis sidecars' or the sentinel sidecars', from its `pod` matcher. */
export type ExporterKind = "redis" | "sentinel";

/** What the real exporters wrote, per kind, over every scrape of the run. */
export type Scrapes = Record<ExporterKind, Sample[]>;

/** One selector of one rule, with the exporter it reads. */
export interface RuleSelector {
    alert: string;
    selector: Selector;
}

/** Every selector of every rule. */
export function ruleSelectors(rules: Pick<AlertRule, "alert" | "expr">[]): RuleSelector[] {
    return rules.flatMap((rule) => selectorsIn(rule.expr).map((selector) => ({ alert: rule.alert, selector })));
}

function describe(selector: Selector): string {
    return `${selector.metric}{${selector.matchers.map((m) => `${m.label}${m.op}"${m.value}"`).join(",")}}`;
}

/**
 * What a real scrape contradicts, one line each: a metric no scrape of its exporter kind has, a
 * matcher on an exporter label that no such sample satisfies, a selector whose `pod` matcher names
 * neither kind, an exporter writing a label Prometheus's discovery sets. Empty when all hold.
 */
export function scrapeProblems(
    selectors: RuleSelector[],
    scrapes: Scrapes,
    kindOf: (selector: Selector) => ExporterKind | undefined,
): string[] {
    const problems: string[] = [];
    for (const { alert, selector } of selectors) {
        const kind = kindOf(selector);
        if (kind === undefined) {
            problems.push(`${alert}: ${describe(selector)} selects neither the redis nor the sentinel pods of the instance`);
            continue;
        }
        if (PROMETHEUS_SERIES.has(selector.metric)) continue;
        const named = scrapes[kind].filter((sample) => sample.name === selector.metric);
        if (named.length === 0) {
            problems.push(`${alert}: metric ${selector.metric} is not in any real ${kind} exporter scrape`);
            continue;
        }
        const exporterMatchers = selector.matchers.filter((m) => !TARGET_LABELS.has(m.label));
        if (!named.some((sample) => exporterMatchers.every((m) => matches(m, sample.labels[m.label])))) {
            const seen = exporterMatchers.map(
                (m) =>
                    `${m.label} in {${[...new Set(named.map((s) => s.labels[m.label] ?? ""))].map((v) => JSON.stringify(v)).join(", ")}}`,
            );
            problems.push(
                `${alert}: no real ${selector.metric} sample matches ${describe(selector)}; the exporter wrote ${seen.join(", ")}`,
            );
        }
    }
    for (const kind of ["redis", "sentinel"] as const) {
        const clashing = scrapes[kind].filter((sample) => Object.keys(sample.labels).some((label) => TARGET_LABELS.has(label)));
        if (clashing.length)
            problems.push(
                `the ${kind} exporter writes a label Prometheus's discovery sets: ${clashing[0].name} ${JSON.stringify(clashing[0].labels)}`,
            );
    }
    return [...new Set(problems)];
}
