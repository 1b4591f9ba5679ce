// The front of one instance: HAProxy pods that route every connection to the current master. The
// operator's master Service (`masterServiceName`) follows the master by a pod label that the
// operator moves only on its checks, every 30 s (`RESYNC_SECONDS`), so after a failover it can send
// writes to the demoted master for up to that long. The front checks each redis every second
// (`role:master`) and, with its gate (front/masterGate.lua), serves only the server a majority of
// the group's sentinels name master. Application URLs point here unless
// `instances.<p>.front.enabled` is false.

// This module renders it; components/redisFront.ts creates it. Pure.

import * as crypto from "crypto";
import type * as k8s from "@pulumi/kubernetes";
import { InstanceConfig } from "../config/types";
import { HAPROXY_CONFIG_DIR, HAPROXY_CONFIG_FILE, HAPROXY_GID, HAPROXY_UID } from "../facts/haproxy";
import {
    AUTH_SECRET_KEY,
    componentPort,
    FailoverComponent,
    LABEL_COMPONENT,
    LABEL_NAME,
    LABEL_PART_OF,
    MASTER_NAME,
    REDIS_PORT,
} from "../facts/operator";
import { MANAGED_BY_LABEL, PROJECT, serviceHost, SKIP_AWAIT_ANNOTATION } from "../facts/project";
import { parseK8sMemoryBytes } from "../facts/patterns";
import { FRONT_ALIVE_PATH, FRONT_READY_PATH, masterGateSource, renderFrontConfig } from "../front/haproxyConfig";
import { authSecretName, tolerationFor } from "./failover";
import { sha256Of } from "./groupRevision";
import { componentSelector } from "../facts/operator";
import { HOSTNAME_TOPOLOGY_KEY } from "./placement";
import { passwordPlan } from "./passwordRotation";

/** `app.kubernetes.io/component` of the front's objects and pods. */
export const FRONT_COMPONENT = "front";
/** The environment variable HAProxy reads the password from; the password is never in its configuration. */
export const FRONT_PASSWORD_ENV = "REDIS_PASSWORD";
/** The gate's file, beside haproxy.cfg in the mounted ConfigMap. */
export const MASTER_GATE_FILE_NAME = "masterGate.lua";
/** Pod-template annotation holding the configuration's hash: a changed configuration rolls the pods. */
export const CONFIG_CHECKSUM_ANNOTATION = `${PROJECT}/config-sha256`;
/**
 * Pod-template annotation holding the Secret's password version (render/passwordRotation.ts): the
 * pods read the password from the Secret only when they start, so its `apps` phase rolls them.
 */
export const PASSWORD_VERSION_ANNOTATION = `${PROJECT}/password-version`;
/** Name of the front's container port, which its Service targets. */
const PORT_NAME = "redis";
/** The port of the front's `/ready` and `/alive` (front/haproxyConfig.ts), for the kubelet only. */
export const FRONT_HEALTH_PORT = 8404;

/** `<name>-front`: the Deployment, its Service and its disruption budget. */
export const frontName = (failover: string) => `${failover}-front`;

/**
 * `<name>-front-redis`, `<name>-front-sentinel`: the headless Services HAProxy finds a component's
 * pods by. The longest failover name (48) still gives a Service name of at most 63 characters.
 */
export const addressBookName = (failover: string, component: FailoverComponent) => `${frontName(failover)}-${component}`;

/** Where applications reach the front, host:port. */
export function frontEndpoint(failover: string, namespace: string): string {
    return `${serviceHost(frontName(failover), namespace)}:${REDIS_PORT}`;
}

/**
 * The labels that select the front's pods: the operator's name and component labels under this
 * project's `part-of`, which none of the operator's selectors (`PART_OF_VALUE`) matches.
 */
export function frontSelector(failover: string): Record<string, string> {
    return { [LABEL_PART_OF]: PROJECT, [LABEL_NAME]: failover, [LABEL_COMPONENT]: FRONT_COMPONENT };
}

/** The labels of every object of the front, pods included. */
export function frontLabels(instance: Pick<InstanceConfig, "name" | "purpose">): Record<string, string> {
    return { ...frontSelector(instance.name), [MANAGED_BY_LABEL]: PROJECT, purpose: instance.purpose };
}

/**
 * A headless Service over one component's pods: its DNS name answers one A record per pod, which
 * HAProxy's `server-template` turns into servers. `publishNotReadyAddresses`: a headless Service
 * otherwise publishes only Ready pods, and the operator's readiness probes are not the front's
 * question. Its redis probe passes on a master at once but fails a replica while it syncs, and
 * neither probe runs before its initial delay, so a pod would appear in DNS late and leave it for
 * reasons that are not about who the master is. What the front serves is decided by its own
 * checks (`role:master` every second) and by the sentinels' majority, which also reject a pod that
 * is up but unusable.
 */
export function addressBookSpec(failover: string, component: FailoverComponent) {
    const port = componentPort(component);
    return {
        clusterIP: "None",
        publishNotReadyAddresses: true,
        selector: componentSelector(failover, component),
        ports: [{ name: component, port, targetPort: port }],
    } satisfies k8s.types.input.core.v1.ServiceSpec;
}

/** haproxy.cfg and the gate, as the ConfigMap holds them (file name to content). */
export function frontConfigFiles(instance: InstanceConfig, namespace: string): Record<string, string> {
    const servers = (component: FailoverComponent) => ({
        dns: {
            name: serviceHost(addressBookName(instance.name, component), namespace),
            port: componentPort(component),
            count: component === "redis" ? instance.redis.replicas : instance.sentinel.replicas,
        },
    });
    const config = renderFrontConfig({
        bind: { host: "0.0.0.0", port: REDIS_PORT },
        redis: servers("redis"),
        sentinels: servers("sentinel"),
        masterName: MASTER_NAME,
        passwordEnv: FRONT_PASSWORD_ENV,
        gate: true,
        gateFile: `${HAPROXY_CONFIG_DIR}/${MASTER_GATE_FILE_NAME}`,
        monitor: { host: "0.0.0.0", port: FRONT_HEALTH_PORT },
        memoryLimitBytes: frontMemoryLimitBytes(instance),
    });
    return { [HAPROXY_CONFIG_FILE]: config, [MASTER_GATE_FILE_NAME]: masterGateSource() };
}

/** The front container's memory limit in bytes, if it has one HAProxy's limits can be derived from. */
export function frontMemoryLimitBytes(instance: Pick<InstanceConfig, "front">): number | undefined {
    const limit = instance.front.resources.limits?.memory;
    return limit === undefined ? undefined : parseK8sMemoryBytes(limit);
}

/** sha256 over the files' names and contents. */
export function configChecksum(files: Record<string, string>): string {
    const hash = crypto.createHash("sha256");
    for (const name of Object.keys(files).sort()) hash.update(name).update("\0").update(files[name]).update("\0");
    return hash.digest("hex");
}

/**
 * The ConfigMap's name carries its hash. Pulumi replaces a ConfigMap whose data changes, and one
 * that keeps its name must be deleted first; under a new name the new one is created, the pods roll
 * onto it, and the old one is deleted last.
 */
export const configMapName = (failover: string, checksum: string) => `${frontName(failover)}-${checksum.slice(0, 8)}`;

/** Cluster-wide settings a front is rendered with. */
export interface FrontRenderOptions {
    /** Namespace of the RedisFailover, its Secret and the front. */
    namespace: string;
    /** Node label key that places each purpose. */
    placementLabel: string;
}

/**
 * The front's pods: on the purpose's nodes (tolerating its taint), never two on one node, as the
 * image's user (uid 99; a name cannot be checked against `runAsNonRoot`), the password from the
 * instance's Secret, the configuration mounted where the image's command reads it.
 */
export function frontPodSpec(instance: InstanceConfig, options: FrontRenderOptions, configMap: string) {
    return {
        nodeSelector: { [options.placementLabel]: instance.purpose },
        ...(instance.taint ? { tolerations: [tolerationFor(instance.taint)] } : {}),
        affinity: {
            podAntiAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: [
                    { topologyKey: HOSTNAME_TOPOLOGY_KEY, labelSelector: { matchLabels: frontSelector(instance.name) } },
                ],
            },
        },
        // HAProxy never calls the Kubernetes API.
        automountServiceAccountToken: false,
        securityContext: {
            runAsNonRoot: true,
            runAsUser: HAPROXY_UID,
            runAsGroup: HAPROXY_GID,
            seccompProfile: { type: "RuntimeDefault" },
        },
        containers: [
            {
                name: "haproxy",
                image: instance.front.image,
                ports: [
                    { name: PORT_NAME, containerPort: REDIS_PORT },
                    { name: "health", containerPort: FRONT_HEALTH_PORT },
                ],
                env: [
                    {
                        name: FRONT_PASSWORD_ENV,
                        valueFrom: { secretKeyRef: { name: authSecretName(instance.name), key: AUTH_SECRET_KEY } },
                    },
                ],
                // Ready while the gate serves a master. Checked every second, unready only after 3 s
                // without one: a failover's second or two does not empty the Service, and a pod that
                // serves again is back within a second.
                readinessProbe: { httpGet: { path: FRONT_READY_PATH, port: "health" }, periodSeconds: 1, failureThreshold: 3 },
                // Alive while HAProxy answers at all; never tied to the master, so a group without
                // one does not restart its fronts.
                livenessProbe: { httpGet: { path: FRONT_ALIVE_PATH, port: "health" }, periodSeconds: 10, failureThreshold: 3 },
                resources: instance.front.resources,
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
                volumeMounts: [{ name: "config", mountPath: HAPROXY_CONFIG_DIR, readOnly: true }],
            },
        ],
        volumes: [{ name: "config", configMap: { name: configMap } }],
    } satisfies k8s.types.input.core.v1.PodSpec;
}

/**
 * The Secret's password version on the pod template, from the first rotation's `apps` on: a group
 * that never rotated keeps the template it had before rotations existed, so no front rolls for it.
 */
function passwordVersionAnnotation(instance: Pick<InstanceConfig, "passwordVersion" | "passwordRotation">): Record<string, string> {
    const secret = passwordPlan(instance.passwordVersion, instance.passwordRotation).secret;
    return secret > 1 ? { [PASSWORD_VERSION_ANNOTATION]: String(secret) } : {};
}

/**
 * The Deployment. Rolls by taking one pod down before starting its successor (maxSurge 0): every
 * node of the purpose may already hold a front pod (dev: one node, one pod), and a surge pod would
 * then never be scheduled, stalling the rollout.
 */
export function frontDeploymentSpec(instance: InstanceConfig, options: FrontRenderOptions, checksum: string) {
    return {
        replicas: instance.front.replicas,
        selector: { matchLabels: frontSelector(instance.name) },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
        template: {
            metadata: {
                labels: frontLabels(instance),
                annotations: { [CONFIG_CHECKSUM_ANNOTATION]: checksum, ...passwordVersionAnnotation(instance) } as Record<string, string>,
            },
            spec: frontPodSpec(instance, options, configMapName(instance.name, checksum)),
        },
    } satisfies k8s.types.input.apps.v1.DeploymentSpec;
}

/**
 * Annotations of the Deployment object. While the group is moved in (`bootstrapFrom`) it has no
 * master of its own, so no front pod is ready (`/ready` needs a served master) until the cut-over:
 * `up` must not wait for them.
 */
export function frontDeploymentAnnotations(instance: Pick<InstanceConfig, "bootstrapFrom">): Record<string, string> | undefined {
    return instance.bootstrapFrom ? { [SKIP_AWAIT_ANNOTATION]: "true" } : undefined;
}

/**
 * maxUnavailable 1 rather than minAvailable 1: the same with the default 2 replicas (a drain
 * evicts one front pod, the other serves), but it still lets a drain through with a single replica
 * (dev), where minAvailable 1 would hold it until `cluster.drainTimeoutSeconds`, and keeps 2 of 3.
 */
export function frontDisruptionBudgetSpec(failover: string) {
    return {
        maxUnavailable: 1,
        selector: { matchLabels: frontSelector(failover) },
    } satisfies k8s.types.input.policy.v1.PodDisruptionBudgetSpec;
}

/** The Service applications connect to. */
export function frontServiceSpec(failover: string) {
    return {
        type: "ClusterIP",
        selector: frontSelector(failover),
        ports: [{ name: PORT_NAME, port: REDIS_PORT, targetPort: PORT_NAME }],
    } satisfies k8s.types.input.core.v1.ServiceSpec;
}

/**
 * sha256 (hex) of the front's rendered Deployment and Service specs. The Deployment's pod template
 * carries the configuration's checksum (`CONFIG_CHECKSUM_ANNOTATION`), so haproxy.cfg and the gate
 * are covered as well as the image, resources and replicas.
 */
export function frontRevision(instance: InstanceConfig, render: FrontRenderOptions): string {
    const checksum = configChecksum(frontConfigFiles(instance, render.namespace));
    return sha256Of({
        deployment: frontDeploymentSpec(instance, render, checksum),
        service: frontServiceSpec(instance.name),
    });
}
