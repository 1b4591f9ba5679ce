// One purpose-built Redis: a Spotahome RedisFailover (Redis + Sentinel) with its own
// password, placed on the nodes labelled for its purpose.

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { InstanceConfig, VerifyConfig } from "../config/types";
import { AUTH_SECRET_KEY, SHUTDOWN_SCRIPT_KEY } from "../facts/operator";
import {
    authSecretName,
    buildRedisFailoverManifest,
    FailoverEndpoints,
    failoverEndpoints,
    FailoverRenderOptions,
} from "../render/failover";
import { groupRevision, GroupRevisionInputs } from "../render/groupRevision";
import { redisShutdownScript, shutdownConfigMapName } from "../render/redisShutdown";
import { redisUrl } from "../render/urls";
import { RedisHealthCheck } from "../providers/redisHealthCheck";

/** Arguments of a `RedisFailover` component. */
export interface RedisFailoverArgs {
    /** The validated instance settings. */
    instance: InstanceConfig;
    /** Rendering settings shared by all instances. */
    render: FailoverRenderOptions;
    /** The Namespace named by `render.namespace`, created by the caller; the Secret waits for it. */
    namespace: pulumi.Resource;
    /** Protect the custom resource from deletion (data-holding instances in protected stacks). */
    protect: boolean;
    /**
     * What the custom resource must wait for: the CRD and the operator release, so a fresh
     * cluster never answers `no matches for kind "RedisFailover"`; also the node, when managed.
     */
    dependsOn: pulumi.Resource[];
    /** The post-deploy health check; none when disabled. */
    verify?: VerifyConfig;
    /** Kubeconfig for the health check's port-forwards (secret); the default kubeconfig when absent. */
    kubeconfig?: pulumi.Output<string>;
    /** What else the group's revision (the health check's `groupRevision`) covers besides the manifest. */
    revision?: GroupRevisionInputs;
}

/** A RedisFailover with its password Secret; exposes the endpoints applications use. */
export class RedisFailover extends pulumi.ComponentResource {
    /** The instance's password (secret). */
    readonly password: pulumi.Output<string>;
    /** Endpoints the operator's services answer on. */
    readonly endpoints: FailoverEndpoints;
    /** The custom resource. */
    readonly resource: k8s.apiextensions.CustomResource;
    /** Name of the Secret holding the password under key `password`. */
    readonly authSecretName: string;
    /** Proof after each `up` that the group runs as configured; absent when disabled. */
    readonly healthCheck?: RedisHealthCheck;

    constructor(name: string, args: RedisFailoverArgs, opts?: pulumi.ComponentResourceOptions) {
        super("redis-ha:k8s:RedisFailover", name, {}, opts);
        const { instance, render } = args;
        const manifest = buildRedisFailoverManifest(instance, render);

        // Letters and digits only, so the password needs no escaping in URLs or redis.conf.
        const password = new random.RandomPassword(`${name}-password`, { length: 32, special: false }, { parent: this });
        this.password = pulumi.secret(password.result);

        const secret = new k8s.core.v1.Secret(
            `${name}-auth`,
            {
                metadata: { name: authSecretName(instance.name), namespace: render.namespace, labels: manifest.metadata.labels },
                stringData: { [AUTH_SECRET_KEY]: this.password },
            },
            { parent: this, dependsOn: [args.namespace] },
        );

        // The operator refuses a failover whose shutdown ConfigMap does not exist yet.
        const shutdown = new k8s.core.v1.ConfigMap(
            `${name}-shutdown`,
            {
                metadata: { name: shutdownConfigMapName(instance.name), namespace: render.namespace, labels: manifest.metadata.labels },
                data: { [SHUTDOWN_SCRIPT_KEY]: redisShutdownScript(instance.name) },
            },
            { parent: this, dependsOn: [args.namespace] },
        );

        this.resource = new k8s.apiextensions.CustomResource(`${name}-failover`, manifest, {
            parent: this,
            dependsOn: [...args.dependsOn, secret, shutdown],
            protect: args.protect,
        });
        this.endpoints = failoverEndpoints(instance.name, render.namespace);
        this.authSecretName = authSecretName(instance.name);

        if (args.verify?.enabled) {
            const reach =
                args.verify.transport === "direct"
                    ? { sentinels: [this.endpoints.sentinel] }
                    : { kubernetes: pulumi.secret({ namespace: render.namespace, name: instance.name, kubeconfig: args.kubeconfig }) };
            this.healthCheck = new RedisHealthCheck(
                `${name}-health`,
                {
                    ...reach,
                    masterName: this.endpoints.masterName,
                    expectPolicy: instance.redis.maxmemoryPolicy,
                    expectMaxmemoryBytes: instance.redis.maxmemoryBytes,
                    expectRedis: instance.redis.replicas,
                    expectSentinels: instance.sentinel.replicas,
                    password: this.password,
                    timeoutSeconds: args.verify.timeoutSeconds,
                    allowExternalServices: args.verify.allowExternalServices,
                    groupRevision: pulumi
                        .all(args.revision?.nodeInstanceIds ?? [])
                        .apply((ids) => groupRevision({ ...args.revision, failover: manifest, nodeInstanceIds: ids })),
                },
                { parent: this, dependsOn: [this.resource] },
            );
        }

        this.registerOutputs({ endpoints: this.endpoints, password: this.password, healthyMaster: this.healthCheck?.master });
    }

    /** The application URL for one logical database (at `endpoint`, else the master Service); secret: it carries the password. */
    url(db: number, endpoint: pulumi.Input<string> = this.endpoints.master): pulumi.Output<string> {
        return pulumi.secret(pulumi.all([this.password, endpoint]).apply(([password, host]) => redisUrl(password, host, db)));
    }
}
