// The alert rules of each Redis group, written against redis_exporter's metric names (checked
// against real exporter scrapes and promtool in the tests). Pure.

import { AlertsConfig, InstanceConfig } from "../config/types";
import { LABEL_PART_OF, PART_OF_VALUE, REDIS_EXPORTER_PORT, redisName, SENTINEL_EXPORTER_PORT, sentinelName } from "../facts/operator";
import { MANAGED_BY_LABEL, PROJECT } from "../facts/project";

/** One alert rule, as a PrometheusRule takes it. */
export interface AlertRule {
    /** Alert name. */
    alert: string;
    /** PromQL expression; firing while it returns series. */
    expr: string;
    /** How long it must hold before firing. */
    for: string;
    /** Severity and purpose labels. */
    labels: Record<string, string>;
    /** Human summary. */
    annotations: { summary: string };
}

/** Selector of one instance's redis pods' series. */
function redisPods(namespace: string, instance: InstanceConfig): string {
    return `namespace="${namespace}",pod=~"${redisName(instance.name)}-.*"`;
}

/** Selector of one instance's sentinel pods' series. */
function sentinelPods(namespace: string, instance: InstanceConfig): string {
    return `namespace="${namespace}",pod=~"${sentinelName(instance.name)}-.*"`;
}

/** The alert rules of one instance. */
export function instanceAlertRules(namespace: string, instance: InstanceConfig, memoryRatio: number): AlertRule[] {
    const redis = redisPods(namespace, instance);
    const sentinel = sentinelPods(namespace, instance);
    const labels = (severity: string) => ({ severity, purpose: instance.purpose, redisfailover: instance.name });
    const rules: AlertRule[] = [
        {
            alert: "RedisNoMaster",
            expr: `count(redis_instance_info{${redis},role="master"}) < 1 or absent(redis_instance_info{${redis},role="master"})`,
            for: "1m",
            labels: labels("critical"),
            annotations: { summary: `${instance.name}: no redis reports role master` },
        },
        {
            alert: "RedisSplitBrain",
            expr: `count(redis_instance_info{${redis},role="master"}) > 1`,
            for: "1m",
            labels: labels("critical"),
            annotations: { summary: `${instance.name}: more than one redis reports role master; the operator does not repair this` },
        },
        {
            alert: "RedisSentinelQuorumLost",
            expr: `min(redis_sentinel_master_ckquorum_status{${sentinel}}) < 1`,
            for: "1m",
            labels: labels("critical"),
            annotations: { summary: `${instance.name}: SENTINEL CKQUORUM fails; no failover is possible` },
        },
        {
            alert: "RedisReplicaLinkDown",
            expr: `redis_master_link_up{${redis}} == 0`,
            for: "2m",
            labels: labels("warning"),
            annotations: { summary: `${instance.name}: a replica lost its link to the master` },
        },
        {
            alert: "RedisMemoryNearMaxmemory",
            expr: `redis_memory_used_bytes{${redis}} / redis_memory_max_bytes{${redis}} > ${memoryRatio} and redis_memory_max_bytes{${redis}} > 0`,
            for: "5m",
            labels: labels("warning"),
            annotations: { summary: `${instance.name}: memory above ${Math.round(memoryRatio * 100)}% of maxmemory` },
        },
        {
            alert: "RedisExporterDown",
            expr: `redis_up{${redis}} == 0 or up{${redis}} == 0`,
            for: "2m",
            labels: labels("warning"),
            annotations: { summary: `${instance.name}: the exporter cannot read redis, or is not scraped` },
        },
    ];
    if (instance.redis.maxmemoryPolicy === "noeviction") {
        const oom = `redis_errors_total{${redis},err="OOM"}`;
        rules.push(
            {
                alert: "RedisEvictionOnNoeviction",
                expr: `increase(redis_evicted_keys_total{${redis}}[5m]) > 0`,
                for: "0m",
                labels: labels("critical"),
                annotations: { summary: `${instance.name} is noeviction but keys were evicted: its policy was changed` },
            },
            {
                // Redis counts rejected commands per error prefix in INFO errorstats
                // (`errorstat_OOM:count=N`); redis_exporter publishes that as
                // `redis_errors_total{err="OOM"}`. The series only exists after the first OOM error
                // since the server started, so `increase()` alone would miss that first burst: a
                // series that appeared in the last 5 minutes counts as well (so do old errors once
                // when the exporter was not scraped for over 5 minutes; RedisExporterDown fired then).
                alert: "RedisRejectingWrites",
                expr: `increase(${oom}[5m]) > 0 or (${oom} unless ${oom} offset 5m)`,
                for: "0m",
                labels: labels("critical"),
                annotations: { summary: `${instance.name} rejects writes: maxmemory reached under noeviction` },
            },
        );
    }
    return rules;
}

/**
 * The backup alert of one group: no successful run of its CronJob within two schedules, or none
 * at all that long after it was created. kube-state-metrics' series (docs/metrics/workload/
 * cronjob-metrics.md: `kube_cronjob_status_last_successful_time`, from v2.5.0, present only once a
 * run succeeded; `kube_cronjob_created`), labelled `namespace` and `cronjob`.
 */
export function backupAlertRule(namespace: string, instance: InstanceConfig, cronJob: string, afterSeconds: number): AlertRule {
    const selector = `namespace="${namespace}",cronjob="${cronJob}"`;
    const last = `kube_cronjob_status_last_successful_time{${selector}}`;
    const created = `kube_cronjob_created{${selector}}`;
    return {
        alert: "RedisBackupMissing",
        expr: `time() - ${last} > ${afterSeconds} or (time() - ${created} > ${afterSeconds} unless on(namespace, cronjob) ${last})`,
        for: "0m",
        labels: { severity: "critical", purpose: instance.purpose, redisfailover: instance.name },
        annotations: { summary: `${instance.name}: no backup succeeded within ${afterSeconds / 3600} h (two schedules)` },
    };
}

/** The PodMonitor of every exporter the RedisFailovers run, and one PrometheusRule for all instances. */
export function alertManifests(
    config: AlertsConfig,
    namespace: string,
    instances: InstanceConfig[],
    backups: Array<{ purpose: string; cronJob: string; afterSeconds: number }> = [],
) {
    const labels = { ...config.labels, [MANAGED_BY_LABEL]: PROJECT };
    return {
        podMonitor: {
            apiVersion: "monitoring.coreos.com/v1",
            kind: "PodMonitor",
            metadata: { name: "redis-ha-exporters", namespace, labels },
            spec: {
                selector: { matchLabels: { [LABEL_PART_OF]: PART_OF_VALUE } },
                podMetricsEndpoints: [
                    { targetPort: REDIS_EXPORTER_PORT, interval: "30s" },
                    { targetPort: SENTINEL_EXPORTER_PORT, interval: "30s" },
                ],
            },
        },
        prometheusRule: {
            apiVersion: "monitoring.coreos.com/v1",
            kind: "PrometheusRule",
            metadata: { name: PROJECT, namespace, labels },
            spec: {
                groups: instances.map((instance) => ({
                    name: `redis-ha-${instance.name}`,
                    rules: [
                        ...instanceAlertRules(namespace, instance, config.memoryRatio),
                        ...backups
                            .filter((backup) => backup.purpose === instance.purpose)
                            .map((backup) => backupAlertRule(namespace, instance, backup.cronJob, backup.afterSeconds)),
                    ],
                })),
            },
        },
    };
}
