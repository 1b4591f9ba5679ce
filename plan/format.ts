// The human-readable plan: a resource tree with the settings that matter, what each waits for,
// then the stack outputs.

import { FAILOVER_TYPE_TOKEN } from "../facts/operator";
import { KNOWN_AFTER_DEPLOY, ProgramRun, RecordedResource, SECRET_MASK } from "./mockRuntime";

function get(value: unknown, ...keys: string[]): unknown {
    return keys.reduce<unknown>((current, key) => (current as Record<string, unknown> | undefined)?.[key], value);
}

function text(value: unknown): string {
    return typeof value === "string" ? value : JSON.stringify(value);
}

/** The settings that matter for one resource, on one line. */
export function describeResource(resource: RecordedResource): string {
    const inputs = resource.inputs;
    switch (resource.type) {
        case "pulumi:providers:kubernetes":
            return `server-side apply=${inputs.enableServerSideApply}, kubeconfig=${inputs.kubeconfig === undefined ? "from environment" : text(inputs.kubeconfig)}`;
        case "kubernetes:core/v1:Namespace":
            return `name=${text(get(inputs, "metadata", "name"))}`;
        case "kubernetes:yaml/v2:ConfigFile":
            return `file=${text(inputs.file)}`;
        case "kubernetes:helm.sh/v3:Release":
            return (
                `chart=${text(inputs.chart)}@${text(inputs.version)} repo=${text(get(inputs, "repositoryOpts", "repo") ?? "(in the oci:// chart)")} ` +
                `namespace=${text(inputs.namespace)} skipCrds=${inputs.skipCrds} image=${text(get(inputs, "values", "image", "repository"))}:` +
                `${text(get(inputs, "values", "image", "tag"))} replicas=${text(get(inputs, "values", "replicas"))}`
            );
        case "random:index/randomPassword:RandomPassword":
            return `length=${inputs.length} special=${inputs.special} (value ${KNOWN_AFTER_DEPLOY})`;
        case "kubernetes:core/v1:Secret":
            return `name=${text(get(inputs, "metadata", "name"))} namespace=${text(get(inputs, "metadata", "namespace"))} data=${SECRET_MASK}`;
        case FAILOVER_TYPE_TOKEN: {
            const redis = get(inputs, "spec", "redis") as Record<string, unknown>;
            const storage = redis.storage as Record<string, unknown>;
            const pvc = get(storage, "persistentVolumeClaim", "spec") as Record<string, unknown> | undefined;
            const storageText = pvc
                ? `pvc ${text(get(pvc, "storageClassName"))} ${text(get(pvc, "resources", "requests", "storage"))}` +
                  (storage.keepAfterDeletion ? " keepAfterDeletion" : "")
                : "emptyDir";
            const placement = get(
                redis,
                "affinity",
                "nodeAffinity",
                "requiredDuringSchedulingIgnoredDuringExecution",
                "nodeSelectorTerms",
                "0",
                "matchExpressions",
                "0",
            ) as Record<string, unknown> | undefined;
            const apart = get(redis, "affinity", "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "0", "topologyKey");
            const spread = get(redis, "topologySpreadConstraints", "0") as Record<string, unknown> | undefined;
            return (
                `name=${text(get(inputs, "metadata", "name"))} sentinels=${text(get(inputs, "spec", "sentinel", "replicas"))} ` +
                `redis=${text(redis.replicas)} storage=${storageText} limits=${text(get(redis, "resources", "limits"))} ` +
                `config=${text(redis.customConfig)} node=${text(placement?.key)}=${text(get(placement, "values", "0"))} ` +
                (apart === undefined ? "" : `one per ${text(apart)} `) +
                (spread === undefined
                    ? ""
                    : `spread over ${text(spread.topologyKey)} (maxSkew ${text(spread.maxSkew)}, ${text(spread.whenUnsatisfiable)}) `) +
                `exporter=${text(get(redis, "exporter", "image"))} auth=${text(get(inputs, "spec", "auth", "secretPath"))}`
            );
        }
        case "kubernetes:core/v1:Service": {
            const spec = (inputs.spec ?? {}) as Record<string, unknown>;
            const ports = ((spec.ports as Array<Record<string, unknown>> | undefined) ?? []).map((port) => text(port.port));
            return (
                `name=${text(get(inputs, "metadata", "name"))} ${spec.clusterIP === "None" ? "headless" : text(spec.type ?? "ClusterIP")} ` +
                `port=${ports.join(",")} selector=${text(spec.selector)}` +
                (spec.publishNotReadyAddresses ? " publishNotReadyAddresses" : "")
            );
        }
        case "kubernetes:core/v1:ConfigMap":
            return `name=${text(get(inputs, "metadata", "name"))} files=${Object.keys((inputs.data ?? {}) as object).join(",")}`;
        case "kubernetes:apps/v1:Deployment": {
            const pod = get(inputs, "spec", "template", "spec") as Record<string, unknown>;
            const container = get(pod, "containers", "0") as Record<string, unknown>;
            const secret = get(container, "env", "0", "valueFrom", "secretKeyRef") as Record<string, unknown> | undefined;
            const apart = get(pod, "affinity", "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "0", "topologyKey");
            return (
                `name=${text(get(inputs, "metadata", "name"))} replicas=${text(get(inputs, "spec", "replicas"))} image=${text(container.image)} ` +
                `node=${text(pod.nodeSelector)} ` +
                (apart === undefined ? "" : `one per ${text(apart)} `) +
                `config=${text(get(pod, "volumes", "0", "configMap", "name"))}` +
                (secret ? ` ${text(get(container, "env", "0", "name"))} from secret ${text(secret.name)}/${text(secret.key)}` : "")
            );
        }
        case "kubernetes:policy/v1:PodDisruptionBudget": {
            const spec = (inputs.spec ?? {}) as Record<string, unknown>;
            const budget =
                spec.maxUnavailable !== undefined
                    ? `maxUnavailable=${text(spec.maxUnavailable)}`
                    : `minAvailable=${text(spec.minAvailable)}`;
            return `name=${text(get(inputs, "metadata", "name"))} ${budget} selector=${text(get(spec, "selector", "matchLabels"))}`;
        }
        case "aws:ec2/instance:Instance":
            return (
                `type=${text(inputs.instanceType)} ami=${text(inputs.ami)} subnet=${text(inputs.subnetId)} ` +
                `imds=${text(get(inputs, "metadataOptions", "httpTokens"))} root=${text(get(inputs, "rootBlockDevice", "volumeType"))} ` +
                `${text(get(inputs, "rootBlockDevice", "volumeSize"))}GiB encrypted=${text(get(inputs, "rootBlockDevice", "encrypted"))} ` +
                `tags=${text(inputs.tags)}`
            );
        case "aws:ec2/securityGroup:SecurityGroup": {
            const rules = (inputs.ingress as Array<Record<string, unknown>> | undefined) ?? [];
            return `ingress: ${rules.map((rule) => `${text(rule.protocol)}/${text(rule.fromPort)} from ${text(rule.securityGroups)}${rule.self ? "+self" : ""}`).join("; ")}`;
        }
        case "aws:secretsmanager/secret:Secret":
            return (
                `name=${text(inputs.name)} kms=${inputs.kmsKeyId === undefined ? "aws/secretsmanager" : text(inputs.kmsKeyId)} ` +
                `recovery=${inputs.recoveryWindowInDays === 0 ? "none (deleted at once)" : `${text(inputs.recoveryWindowInDays ?? 30)} days`}`
            );
        case "aws:secretsmanager/secretVersion:SecretVersion":
            return `value=${text(inputs.secretString)} (JSON keyed by env var)`;
        case "kubernetes:external-secrets.io/v1:ExternalSecret":
        case "kubernetes:external-secrets.io/v1beta1:ExternalSecret":
            return (
                `namespace=${text(get(inputs, "metadata", "namespace"))} target=${text(get(inputs, "spec", "target", "name"))} ` +
                `store=${text(get(inputs, "spec", "secretStoreRef", "kind"))}/${text(get(inputs, "spec", "secretStoreRef", "name"))} ` +
                `keys=${((get(inputs, "spec", "data") as Array<{ secretKey: string }>) ?? []).map((d) => d.secretKey).join(",")}`
            );
        case "pulumi-nodejs:dynamic:Resource":
            return (
                `post-deploy health check: policy=${text(inputs.expectPolicy)} maxmemory=${text(inputs.expectMaxmemoryBytes)}B ` +
                `redis=${text(inputs.expectRedis)} sentinels=${text(inputs.expectSentinels)} master=${text(inputs.masterName)} ` +
                `via=${inputs.sentinels !== undefined ? text(inputs.sentinels) : `kubernetes ${text(inputs.kubernetes)}`} timeout=${text(inputs.timeoutSeconds)}s (runs on up)`
            );
        case "command:remote:Command": {
            const host = typeof inputs.connection === "object" ? text(get(inputs, "connection", "host")) : text(inputs.connection);
            const parts = [`ssh=${host}`, `create=${describeCommand(inputs.create)}`];
            if (inputs.delete !== undefined) parts.push(`delete=${describeCommand(inputs.delete)}`);
            if (inputs.stdin !== undefined) parts.push(`stdin=${text(inputs.stdin)}`);
            return parts.join(" ");
        }
        case "command:local:Command": {
            // Runs where `pulumi up` runs (and reaches hosts itself).
            const parts = [`local create=${describeCommand(inputs.create)}`];
            if (inputs.stdin !== undefined) parts.push(`stdin=${text(inputs.stdin)}`);
            return parts.join(" ");
        }
        default:
            return "";
    }
}

/** A remote command as a script name and its parameters (the script body is left out). */
export function describeCommand(commandText: unknown): string {
    if (typeof commandText !== "string") {
        return text(commandText);
    }
    const script = /^# redis-ha: (\S+)/.exec(commandText)?.[1];
    if (!script) {
        return JSON.stringify(commandText);
    }
    const parameters = /sudo env (.*) bash "\$script"/.exec(commandText)?.[1]?.trim();
    return parameters ? `${script} (${parameters})` : script;
}

/** The human-readable plan: a resource tree, then the outputs. */
export function formatPlan(stack: string, run: ProgramRun): string {
    const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
    const children = new Map<string | undefined, RecordedResource[]>();
    for (const resource of run.resources) {
        const parent = resource.parent && byUrn.has(resource.parent) ? resource.parent : undefined;
        children.set(parent, [...(children.get(parent) ?? []), resource]);
    }
    const lines = [
        `Plan for stack "${stack}" (offline: mock runtime, no cloud, no credentials)`,
        "",
        `Resources (${run.resources.length}):`,
    ];
    const walk = (parent: string | undefined, depth: number) => {
        for (const resource of children.get(parent) ?? []) {
            const indent = "  ".repeat(depth + 1);
            const flags = [resource.protect ? "protected" : "", resource.custom ? "" : "component"].filter(Boolean);
            lines.push(`${indent}${resource.type}  ${resource.name}${flags.length ? `  [${flags.join(", ")}]` : ""}`);
            const detail = describeResource(resource);
            if (detail) {
                lines.push(`${indent}    ${detail}`);
            }
            const waits = resource.dependencies.map((urn) => byUrn.get(urn)?.name ?? urn);
            if (waits.length) {
                lines.push(`${indent}    waits for: ${waits.join(", ")}`);
            }
            walk(resource.urn, depth + 1);
        }
    };
    walk(undefined, 0);
    lines.push("", "Outputs:");
    const flatten = (value: unknown, prefix: string) => {
        if (Array.isArray(value) && value.length > 0) {
            value.forEach((item, index) => flatten(item, `${prefix}[${index}]`));
        } else if (value !== null && typeof value === "object" && !Array.isArray(value)) {
            for (const [key, item] of Object.entries(value)) {
                flatten(item, prefix ? `${prefix}.${key}` : key);
            }
        } else {
            lines.push(`  ${prefix} = ${text(value)}`);
        }
    };
    flatten(run.outputs, "");
    lines.push("", `${SECRET_MASK}: secret, never shown. ${KNOWN_AFTER_DEPLOY}: only a real deploy knows it.`);
    return lines.join("\n");
}
