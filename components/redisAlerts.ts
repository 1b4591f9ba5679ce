// Monitoring for clusters that run the Prometheus operator: monitors for the exporters the
// RedisFailovers run, and alert rules written against redis_exporter's metric names. Those names and
// the exporter labels the rules match on are checked against real exporter scrapes, and the rules
// with promtool, in tests/components/redisAlerts.real.test.ts. The manifests are rendered in render/alertRules.ts.

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AlertsConfig, InstanceConfig } from "../config/types";
import { alertManifests } from "../render/alertRules";

/** Arguments of `RedisAlerts`. */
export interface RedisAlertsArgs {
    /** Alert settings. */
    config: AlertsConfig;
    /** Namespace of the RedisFailovers (monitors and rules go there too). */
    namespace: string;
    /** The instances. */
    instances: InstanceConfig[];
    /** The backed-up groups: their CronJob and how long without a successful run alerts. */
    backups?: Array<{ purpose: string; cronJob: string; afterSeconds: number }>;
}

/** A PodMonitor for the redis and sentinel exporters and one PrometheusRule for all instances. */
export class RedisAlerts extends pulumi.ComponentResource {
    constructor(name: string, args: RedisAlertsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("redis-ha:monitoring:RedisAlerts", name, {}, opts);
        const manifests = alertManifests(args.config, args.namespace, args.instances, args.backups);
        new k8s.apiextensions.CustomResource(`${name}-podmonitor`, manifests.podMonitor, { parent: this });
        new k8s.apiextensions.CustomResource(`${name}-rules`, manifests.prometheusRule, { parent: this });
        this.registerOutputs({});
    }
}
