// Monitoring for clusters that run the Prometheus operator: monitors for the exporters the
// RedisFailovers run, and alert rules written against redis_exporter's metric names.

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AlertsConfig, InstanceConfig } from "../config/types";

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
    return `namespace="${namespace}",pod=~"rfr-${instance.name}-.*"`;
}

/** Selector of one instance's sentinel pods' series. */
function sentinelPods(namespace: string, instance: InstanceConfig): string {
    return `namespace="${namespace}",pod=~"rfs-${instance.name}-.*"`;
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
        rules.push(
            {
                alert: "RedisEvictionOnNoeviction",
                expr: `increase(redis_evicted_keys_total{${redis}}[5m]) > 0`,
                for: "0m",
                labels: labels("critical"),
                annotations: { summary: `${instance.name} is noeviction but keys were evicted: its policy was changed` },
            },
            {
                alert: "RedisRejectingWrites",
                expr: `increase(redis_errorstat_total{${redis},err="OOM"}[5m]) > 0`,
                for: "0m",
                labels: labels("critical"),
                annotations: { summary: `${instance.name} rejects writes: maxmemory reached under noeviction` },
            },
        );
    }
    return rules;
}

/** Arguments of `RedisAlerts`. */
export interface RedisAlertsArgs {
    /** Alert settings. */
    config: AlertsConfig;
    /** Namespace of the RedisFailovers (monitors and rules go there too). */
    namespace: string;
    /** The instances. */
    instances: InstanceConfig[];
}

/** A PodMonitor for the redis and sentinel exporters and one PrometheusRule for all instances. */
export class RedisAlerts extends pulumi.ComponentResource {
    constructor(name: string, args: RedisAlertsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("redis-ha:monitoring:RedisAlerts", name, {}, opts);
        const labels = { ...args.config.labels, "app.kubernetes.io/managed-by": "redis-ha" };
        new k8s.apiextensions.CustomResource(
            `${name}-podmonitor`,
            {
                apiVersion: "monitoring.coreos.com/v1",
                kind: "PodMonitor",
                metadata: { name: "redis-ha-exporters", namespace: args.namespace, labels },
                spec: {
                    selector: { matchLabels: { "app.kubernetes.io/part-of": "redis-failover" } },
                    // The operator's exporter sidecars listen on 9121 (redis) and 9355 (sentinel).
                    podMetricsEndpoints: [
                        { targetPort: 9121, interval: "30s" },
                        { targetPort: 9355, interval: "30s" },
                    ],
                },
            },
            { parent: this },
        );
        new k8s.apiextensions.CustomResource(
            `${name}-rules`,
            {
                apiVersion: "monitoring.coreos.com/v1",
                kind: "PrometheusRule",
                metadata: { name: "redis-ha", namespace: args.namespace, labels },
                spec: {
                    groups: args.instances.map((instance) => ({
                        name: `redis-ha-${instance.name}`,
                        rules: instanceAlertRules(args.namespace, instance, args.config.memoryRatio),
                    })),
                },
            },
            { parent: this },
        );
        this.registerOutputs({});
    }
}
