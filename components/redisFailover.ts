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
import { ChangePreflight } from "../providers/changePreflight";
import { PasswordRotationStep } from "../providers/passwordRotation";
import { passwordPlan, retireWaitSeconds } from "../render/passwordRotation";

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
    /** How long a rotation's `retire` waits after `apps` (the ExternalSecrets' refresh and a margin). */
    retireWaitSeconds?: number;
}

/** A RedisFailover with its password Secret; exposes the endpoints applications use. */
export class RedisFailover extends pulumi.ComponentResource {
    /** The password of the Secret: the operator's, the front's (secret). */
    readonly password: pulumi.Output<string>;
    /** The password of the app env (secret); the Secret's except mid-rotation. */
    readonly appPassword: pulumi.Output<string>;
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

        // One generated password per version (render/passwordRotation.ts: which one each party uses);
        // letters and digits only, so it needs no escaping in URLs or redis.conf. Version 1 keeps the
        // name it always had.
        const plan = passwordPlan(instance.passwordVersion, instance.passwordRotation);
        const passwords = new Map(
            plan.versions.map((version) => {
                const resource = version === 1 ? `${name}-password` : `${name}-password-v${version}`;
                const generated = new random.RandomPassword(resource, { length: 32, special: false }, { parent: this });
                return [version, pulumi.secret(generated.result)];
            }),
        );
        this.password = passwords.get(plan.secret)!;
        // Each phase re-runs the post-deploy check (its revision), after the phase is applied.
        const passwordsPart =
            instance.passwordVersion !== 1 || instance.passwordRotation
                ? { version: instance.passwordVersion, ...(instance.passwordRotation ? { phase: instance.passwordRotation } : {}) }
                : undefined;
        this.appPassword = passwords.get(plan.apps)!;
        const reach =
            args.verify?.transport === "direct"
                ? { sentinels: [failoverEndpoints(instance.name, render.namespace).sentinel] }
                : { kubernetes: pulumi.secret({ namespace: render.namespace, name: instance.name, kubeconfig: args.kubeconfig }) };
        const expected = {
            masterName: failoverEndpoints(instance.name, render.namespace).masterName,
            maxmemoryPolicy: instance.redis.maxmemoryPolicy,
            maxmemoryBytes: instance.redis.maxmemoryBytes,
            redisCount: instance.redis.replicas,
            sentinelCount: instance.sentinel.replicas,
        };
        // Refuses at preview a rotation step out of order or too soon, an image the data cannot
        // survive, or either on a group that is not healthy; everything of the group waits for it.
        const preflight = new ChangePreflight(
            `${name}-change-preflight`,
            {
                ...reach,
                configKey: `instances.${instance.purpose}`,
                expected,
                password: this.password,
                passwordVersion: instance.passwordVersion,
                ...(instance.passwordRotation ? { passwordRotation: instance.passwordRotation } : {}),
                redisImage: instance.redis.image,
                holdsData: instance.holdsData,
                retireWaitSeconds: args.retireWaitSeconds ?? retireWaitSeconds([]),
            },
            { parent: this, dependsOn: args.dependsOn },
        );

        const secret = new k8s.core.v1.Secret(
            `${name}-auth`,
            {
                metadata: { name: authSecretName(instance.name), namespace: render.namespace, labels: manifest.metadata.labels },
                stringData: { [AUTH_SECRET_KEY]: this.password },
            },
            { parent: this, dependsOn: [args.namespace, preflight] },
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
            dependsOn: [...args.dependsOn, secret, shutdown, preflight],
            protect: args.protect,
        });
        this.endpoints = failoverEndpoints(instance.name, render.namespace);
        this.authSecretName = authSecretName(instance.name);

        // A rotation's phase, applied to the running servers (the operator applies passwords only to new pods).
        const rotation = instance.passwordRotation
            ? new PasswordRotationStep(
                  `${name}-password-rotation`,
                  {
                      ...reach,
                      expected,
                      accepted: pulumi.all(plan.accepted.map((version) => passwords.get(version)!)),
                      replication: passwords.get(plan.replication)!,
                      known: pulumi.all(plan.versions.map((version) => passwords.get(version)!)),
                      phase: instance.passwordRotation,
                      version: instance.passwordVersion,
                  },
                  { parent: this, dependsOn: [this.resource] },
              )
            : undefined;

        if (args.verify?.enabled) {
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
                        .apply((ids) =>
                            groupRevision({ ...args.revision, failover: manifest, nodeInstanceIds: ids, passwords: passwordsPart }),
                        ),
                },
                { parent: this, dependsOn: [this.resource, ...(rotation ? [rotation] : [])] },
            );
        }

        this.registerOutputs({ endpoints: this.endpoints, password: this.password, healthyMaster: this.healthCheck?.master });
    }

    /** The application URL for one logical database (at `endpoint`, else the master Service); secret: it carries the app env's password. */
    url(db: number, endpoint: pulumi.Input<string> = this.endpoints.master): pulumi.Output<string> {
        return pulumi.secret(pulumi.all([this.appPassword, endpoint]).apply(([password, host]) => redisUrl(password, host, db)));
    }
}
