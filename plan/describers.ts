// One line per resource in the human-readable plan: the settings that matter for its type, read
// from the inputs the mock runtime recorded (secrets masked, unknowns marked).

import { FAILOVER_TYPE_TOKEN } from "../facts/operator";
import { KNOWN_AFTER_DEPLOY, RecordedResource, SECRET_MASK } from "./mockRuntime";

type Inputs = Record<string, unknown>;
type Describer = (inputs: Inputs) => string;

function get(value: unknown, ...keys: string[]): unknown {
    return keys.reduce<unknown>((current, key) => (current as Record<string, unknown> | undefined)?.[key], value);
}

/** A value as the plan prints it: strings as they are, anything else as JSON. */
export function text(value: unknown): string {
    return typeof value === "string" ? value : JSON.stringify(value);
}

const name = (inputs: Inputs) => text(get(inputs, "metadata", "name"));

function kubernetesProvider(inputs: Inputs): string {
    const kubeconfig = inputs.kubeconfig === undefined ? "from environment" : text(inputs.kubeconfig);
    return `server-side apply=${inputs.enableServerSideApply}, kubeconfig=${kubeconfig}`;
}

function helmRelease(inputs: Inputs): string {
    const repo = text(get(inputs, "repositoryOpts", "repo") ?? "(in the oci:// chart)");
    const image = `${text(get(inputs, "values", "image", "repository"))}:${text(get(inputs, "values", "image", "tag"))}`;
    return (
        `chart=${text(inputs.chart)}@${text(inputs.version)} repo=${repo} namespace=${text(inputs.namespace)} ` +
        `skipCrds=${inputs.skipCrds} image=${image} replicas=${text(get(inputs, "values", "replicas"))}`
    );
}

/** Storage, placement and config of a RedisFailover (render/failover.ts). */
function redisFailover(inputs: Inputs): string {
    const redis = get(inputs, "spec", "redis") as Inputs;
    const storage = redis.storage as Inputs;
    const pvc = get(storage, "persistentVolumeClaim", "spec") as Inputs | undefined;
    const storageText = pvc
        ? `pvc ${text(get(pvc, "storageClassName"))} ${text(get(pvc, "resources", "requests", "storage"))}` +
          (storage.keepAfterDeletion ? " keepAfterDeletion" : "")
        : "emptyDir";
    const nodeTerm = ["nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms", "0"];
    const placement = get(redis, "affinity", ...nodeTerm, "matchExpressions", "0") as Inputs | undefined;
    const apart = get(redis, "affinity", "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "0", "topologyKey");
    const spread = get(redis, "topologySpreadConstraints", "0") as Inputs | undefined;
    const bootstrap = get(inputs, "spec", "bootstrapNode") as Inputs | undefined;
    return (
        `name=${name(inputs)} sentinels=${text(get(inputs, "spec", "sentinel", "replicas"))} ` +
        `redis=${text(redis.replicas)} storage=${storageText} limits=${text(get(redis, "resources", "limits"))} ` +
        `config=${text(redis.customConfig)} node=${text(placement?.key)}=${text(get(placement, "values", "0"))} ` +
        (apart === undefined ? "" : `one per ${text(apart)} `) +
        (spread === undefined
            ? ""
            : `spread over ${text(spread.topologyKey)} (maxSkew ${text(spread.maxSkew)}, ${text(spread.whenUnsatisfiable)}) `) +
        `exporter=${text(get(redis, "exporter", "image"))} auth=${text(get(inputs, "spec", "auth", "secretPath"))}` +
        (bootstrap === undefined ? "" : ` bootstrapping from ${text(bootstrap.host)}:${text(bootstrap.port)} (no master of its own)`)
    );
}

function service(inputs: Inputs): string {
    const spec = (inputs.spec ?? {}) as Inputs;
    const ports = ((spec.ports as Inputs[] | undefined) ?? []).map((port) => text(port.port));
    return (
        `name=${name(inputs)} ${spec.clusterIP === "None" ? "headless" : text(spec.type ?? "ClusterIP")} ` +
        `port=${ports.join(",")} selector=${text(spec.selector)}` +
        (spec.publishNotReadyAddresses ? " publishNotReadyAddresses" : "")
    );
}

/** The front's Deployment (render/front.ts): image, placement, configuration and password source. */
function deployment(inputs: Inputs): string {
    const pod = get(inputs, "spec", "template", "spec") as Inputs;
    const container = get(pod, "containers", "0") as Inputs;
    const secret = get(container, "env", "0", "valueFrom", "secretKeyRef") as Inputs | undefined;
    const apart = get(pod, "affinity", "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "0", "topologyKey");
    return (
        `name=${name(inputs)} replicas=${text(get(inputs, "spec", "replicas"))} image=${text(container.image)} ` +
        `node=${text(pod.nodeSelector)} ` +
        (apart === undefined ? "" : `one per ${text(apart)} `) +
        `config=${text(get(pod, "volumes", "0", "configMap", "name"))}` +
        (secret ? ` ${text(get(container, "env", "0", "name"))} from secret ${text(secret.name)}/${text(secret.key)}` : "")
    );
}

function disruptionBudget(inputs: Inputs): string {
    const spec = (inputs.spec ?? {}) as Inputs;
    const budget =
        spec.maxUnavailable !== undefined ? `maxUnavailable=${text(spec.maxUnavailable)}` : `minAvailable=${text(spec.minAvailable)}`;
    return `name=${name(inputs)} ${budget} selector=${text(get(spec, "selector", "matchLabels"))}`;
}

function ec2Instance(inputs: Inputs): string {
    const root = (key: string) => text(get(inputs, "rootBlockDevice", key));
    return (
        `type=${text(inputs.instanceType)} ami=${text(inputs.ami)} subnet=${text(inputs.subnetId)} ` +
        `imds=${text(get(inputs, "metadataOptions", "httpTokens"))} root=${root("volumeType")} ` +
        `${root("volumeSize")}GiB encrypted=${root("encrypted")} tags=${text(inputs.tags)}`
    );
}

function securityGroup(inputs: Inputs): string {
    const rules = (inputs.ingress as Inputs[] | undefined) ?? [];
    const rule = (r: Inputs) => `${text(r.protocol)}/${text(r.fromPort)} from ${text(r.securityGroups)}${r.self ? "+self" : ""}`;
    return `ingress: ${rules.map(rule).join("; ")}`;
}

function secretsManagerSecret(inputs: Inputs): string {
    const kms = inputs.kmsKeyId === undefined ? "aws/secretsmanager" : text(inputs.kmsKeyId);
    const recovery = inputs.recoveryWindowInDays === 0 ? "none (deleted at once)" : `${text(inputs.recoveryWindowInDays ?? 30)} days`;
    return `name=${text(inputs.name)} kms=${kms} recovery=${recovery}`;
}

function externalSecret(inputs: Inputs): string {
    const store = `${text(get(inputs, "spec", "secretStoreRef", "kind"))}/${text(get(inputs, "spec", "secretStoreRef", "name"))}`;
    const keys = ((get(inputs, "spec", "data") as Array<{ secretKey: string }>) ?? []).map((d) => d.secretKey).join(",");
    return `namespace=${text(get(inputs, "metadata", "namespace"))} target=${text(get(inputs, "spec", "target", "name"))} store=${store} keys=${keys}`;
}

function healthCheck(inputs: Inputs): string {
    const via = inputs.sentinels !== undefined ? text(inputs.sentinels) : `kubernetes ${text(inputs.kubernetes)}`;
    return (
        `post-deploy health check: policy=${text(inputs.expectPolicy)} maxmemory=${text(inputs.expectMaxmemoryBytes)}B ` +
        `redis=${text(inputs.expectRedis)} sentinels=${text(inputs.expectSentinels)} master=${text(inputs.masterName)} ` +
        `via=${via} timeout=${text(inputs.timeoutSeconds)}s (runs on up)`
    );
}

function remoteCommand(inputs: Inputs): string {
    const host = typeof inputs.connection === "object" ? text(get(inputs, "connection", "host")) : text(inputs.connection);
    const parts = [`ssh=${host}`, `create=${describeCommand(inputs.create)}`];
    if (inputs.delete !== undefined) parts.push(`delete=${describeCommand(inputs.delete)}`);
    if (inputs.stdin !== undefined) parts.push(`stdin=${text(inputs.stdin)}`);
    return parts.join(" ");
}

/** Runs where `pulumi up` runs (and reaches hosts itself). */
function localCommand(inputs: Inputs): string {
    const parts = [`local create=${describeCommand(inputs.create)}`];
    if (inputs.stdin !== undefined) parts.push(`stdin=${text(inputs.stdin)}`);
    return parts.join(" ");
}

/** A backup CronJob: when, from which images, to where (its upload step's parameters). */
function cronJob(inputs: Inputs): string {
    const pod = get(inputs, "spec", "jobTemplate", "spec", "template", "spec") as Inputs;
    const images = [...((pod.initContainers as Inputs[]) ?? []), ...((pod.containers as Inputs[]) ?? [])].map((c) => text(c.image));
    return `name=${name(inputs)} schedule="${text(get(inputs, "spec", "schedule"))}" concurrency=${text(get(inputs, "spec", "concurrencyPolicy"))} images=${images.join(",")}`;
}

function lifecycle(inputs: Inputs): string {
    const rules = (inputs.rules as Inputs[] | undefined) ?? [];
    return rules
        .map(
            (r) =>
                `${text(get(r, "filter", "prefix"))}: expire after ${text(get(r, "expiration", "days"))} days (noncurrent ${text(get(r, "noncurrentVersionExpiration", "noncurrentDays"))})`,
        )
        .join("; ");
}

function bucketEncryption(inputs: Inputs): string {
    const rule = get(inputs, "rules", "0", "applyServerSideEncryptionByDefault") as Inputs | undefined;
    return `default encryption=${text(rule?.sseAlgorithm)}${rule?.kmsMasterKeyId ? ` key=${text(rule.kmsMasterKeyId)}` : ""}`;
}

/** One describer per resource type the program creates; other types print no detail line. */
const DESCRIBERS: Record<string, Describer> = {
    "pulumi:providers:kubernetes": kubernetesProvider,
    "kubernetes:core/v1:Namespace": (inputs) => `name=${name(inputs)}`,
    "kubernetes:yaml/v2:ConfigFile": (inputs) => `file=${text(inputs.file)}`,
    "kubernetes:helm.sh/v3:Release": helmRelease,
    "random:index/randomPassword:RandomPassword": (inputs) =>
        `length=${inputs.length} special=${inputs.special} (value ${KNOWN_AFTER_DEPLOY})`,
    "kubernetes:core/v1:Secret": (inputs) =>
        `name=${name(inputs)} namespace=${text(get(inputs, "metadata", "namespace"))} data=${SECRET_MASK}`,
    [FAILOVER_TYPE_TOKEN]: redisFailover,
    "kubernetes:core/v1:Service": service,
    "kubernetes:core/v1:ConfigMap": (inputs) => `name=${name(inputs)} files=${Object.keys((inputs.data ?? {}) as object).join(",")}`,
    "kubernetes:apps/v1:Deployment": deployment,
    "kubernetes:policy/v1:PodDisruptionBudget": disruptionBudget,
    "aws:ec2/instance:Instance": ec2Instance,
    "aws:ec2/securityGroup:SecurityGroup": securityGroup,
    "aws:secretsmanager/secret:Secret": secretsManagerSecret,
    "aws:secretsmanager/secretVersion:SecretVersion": (inputs) => `value=${text(inputs.secretString)} (JSON keyed by env var)`,
    "kubernetes:external-secrets.io/v1:ExternalSecret": externalSecret,
    "kubernetes:external-secrets.io/v1beta1:ExternalSecret": externalSecret,
    "pulumi-nodejs:dynamic:Resource": healthCheck,
    "command:remote:Command": remoteCommand,
    "command:local:Command": localCommand,
    "kubernetes:batch/v1:CronJob": cronJob,
    "aws:s3/bucket:Bucket": (inputs) => `bucket=${text(inputs.bucket)}`,
    "aws:s3/bucketVersioning:BucketVersioning": (inputs) => `versioning=${text(get(inputs, "versioningConfiguration", "status"))}`,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": (inputs) =>
        `public access blocked: acls=${inputs.blockPublicAcls} policy=${inputs.blockPublicPolicy}`,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": bucketEncryption,
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": lifecycle,
    "aws:iam/userPolicy:UserPolicy": (inputs) => `policy=${text(inputs.policy)}`,
};

/** The settings that matter for one resource, on one line ("" for a type without a describer). */
export function describeResource(resource: RecordedResource): string {
    return DESCRIBERS[resource.type]?.(resource.inputs) ?? "";
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
