import * as assert from "assert";
import { parseStackConfig, parseStackConfigOrThrow } from "../../config/parse";
import { stackConfig, withSetting } from "../support/stacks";

const I = "redis-ha:instances";
const dev = stackConfig("dev");
const prod = stackConfig("prod");

function issuesOf(config: Record<string, string>, options?: Parameters<typeof parseStackConfig>[2]) {
    return parseStackConfig(config, "dev", options).issues;
}
function accepted(config: Record<string, string>, options?: Parameters<typeof parseStackConfig>[2]) {
    assert.deepStrictEqual(issuesOf(config, options), []);
    return parseStackConfigOrThrow(config, "dev", options);
}
function rejected(config: Record<string, string>, key: string, why: RegExp, options?: Parameters<typeof parseStackConfig>[2]) {
    const result = parseStackConfig(config, "dev", options);
    const issue = result.issues.find((i) => i.key === key);
    assert.ok(issue, `expected an issue at ${key}, got ${JSON.stringify(result.issues)}`);
    assert.match(issue.message, why);
    assert.strictEqual(result.config, undefined, "an invalid config yields no config");
}
const set = (at: Array<string | number>, value: unknown, config = dev, key = I) => withSetting(config, key, at, value);

describe("config: schema rules by key", () => {
    it("maxmemory: Redis sizes, numbers as bytes; spaces, MiB, 0 and tiny sizes refused", () => {
        const big = set(["auth", "redis", "resources", "limits", "memory"], "2Gi");
        for (const size of ["256mb", "1GB", "268435456", 268435456]) {
            const redis = accepted(set(["auth", "redis", "maxmemory"], size, big)).instances[0].redis;
            assert.strictEqual(redis.maxmemoryBytes, size === "1GB" ? 1024 ** 3 : 268435456);
            assert.strictEqual(redis.maxmemory, String(size), "kept as written");
        }
        const key = `${I}.auth.redis.maxmemory`;
        rejected(set(["auth", "redis", "maxmemory"], "256 mb"), key, /not a Redis memory size/);
        rejected(set(["auth", "redis", "maxmemory"], "256mib"), key, /not a Redis memory size/);
        rejected(set(["auth", "redis", "maxmemory"], "0"), key, /no limit/);
        rejected(set(["auth", "redis", "maxmemory"], "12"), key, /at least 1mb/);
    });

    it("resources: Kubernetes quantities; requests above limits refused for cpu and memory", () => {
        const limits = `${I}.cache.redis.resources`;
        accepted(set(["cache", "redis", "resources"], { requests: { cpu: "500m", memory: "512Mi" }, limits: { cpu: 1.5, memory: "1G" } }));
        accepted(set(["cache", "redis", "resources"], { requests: { cpu: "1e-1" }, limits: { cpu: "1", memory: "1e9" } }));
        rejected(set(["cache", "redis", "resources", "limits", "memory"], "768mi"), `${limits}.limits.memory`, /did you mean 768Mi/);
        rejected(set(["cache", "redis", "resources", "limits", "memory"], "768MB"), `${limits}.limits.memory`, /not a Kubernetes quantity/);
        rejected(set(["cache", "redis", "resources", "limits", "cpu"], "1.5.2"), `${limits}.limits.cpu`, /not a Kubernetes quantity/);
        rejected(set(["cache", "redis", "resources", "requests"], { cpu: "400m" }), `${limits}.requests.cpu`, /more than the limit 300m/);
        rejected(
            set(["cache", "redis", "resources", "requests"], { memory: "1Gi" }),
            `${limits}.requests.memory`,
            /more than the limit 768Mi/,
        );
    });

    it("storage: access modes from the API's enum, storage class a DNS subdomain", () => {
        const pvc = ["auth", "redis", "storage", "persistentVolumeClaim"];
        accepted(set([...pvc, "accessModes"], ["ReadWriteOncePod"]));
        accepted(set([...pvc, "storageClass"], "ebs.csi.aws.com-gp3"));
        rejected(
            set([...pvc, "accessModes"], ["ReadWriteOnse"]),
            `${I}.auth.redis.storage.persistentVolumeClaim.accessModes[0]`,
            /must be one of ReadWriteOnce, ReadOnlyMany/,
        );
        rejected(set([...pvc, "size"], "1gb"), `${I}.auth.redis.storage.persistentVolumeClaim.size`, /not a Kubernetes quantity/);
        rejected(set([...pvc, "storageClass"], "GP3"), `${I}.auth.redis.storage.persistentVolumeClaim.storageClass`, /DNS-1123 subdomain/);
    });

    it("labels: placement key, taint key and value, alert labels", () => {
        accepted(withSetting(dev, "redis-ha:placementLabel", [], "example.com/redis-cluster"));
        accepted(set(["auth", "taint"], { key: "dedicated", value: "", effect: "NoSchedule" }));
        rejected(withSetting(dev, "redis-ha:placementLabel", [], "redis cluster"), "redis-ha:placementLabel", /not a label key/);
        rejected(
            set(["auth", "taint"], { key: "dedicated", value: "-auth", effect: "NoSchedule" }),
            `${I}.auth.taint.value`,
            /not a label value/,
        );
        rejected(
            withSetting(dev, "redis-ha:alerts", ["labels"], { "release/": "x" }),
            "redis-ha:alerts.labels.release/",
            /not a label key/,
        );
    });

    it("DNS names: dotted Secret and ExternalSecret names accepted; an uppercase namespace refused", () => {
        const target = ["externalSecrets", 0];
        const config = accepted(
            withSetting(
                withSetting(dev, "redis-ha:appSecrets", [...target, "name"], "api.redis-env"),
                "redis-ha:appSecrets",
                [...target, "storeName"],
                "aws.secrets-manager",
            ),
        );
        assert.strictEqual(config.appSecrets.externalSecrets[0].name, "api.redis-env");
        rejected(withSetting(dev, "redis-ha:namespace", [], "Redis"), "redis-ha:namespace", /DNS-1123 label/);
        rejected(
            withSetting(dev, "redis-ha:appSecrets", [...target, "namespace"], "api.apps"),
            "redis-ha:appSecrets.externalSecrets[0].namespace",
            /DNS-1123 label/,
        );
    });

    it("customConfig: one directive per line, refusing what the program or operator owns", () => {
        const lines = `${I}.cache.redis.customConfig`;
        accepted(set(["cache", "redis", "customConfig"], ["tcp-keepalive 60", "notify-keyspace-events Ex"]));
        rejected(set(["cache", "redis", "customConfig"], ["hz 20\nsave 60 1"]), `${lines}[0]`, /more than one line/);
        rejected(set(["cache", "redis", "customConfig"], ["hz 20", 'rename-command FLUSHALL ""']), `${lines}[1]`, /customCommandRenames/);
        for (const line of ["dir /tmp", "save 60 1", "requirepass hunter2"])
            rejected(set(["cache", "redis", "customConfig"], [line]), `${lines}[0]`, /sets "/);
        rejected(set(["auth", "redis", "customConfig"], ["appendfsync no"]), `${I}.auth.redis.customConfig[0]`, /data-holding/);
    });

    it("sentinel customConfig: quorum accepted outside HA, refused in an HA stack", () => {
        accepted(set(["cache", "sentinel", "customConfig"], ["quorum 1"]));
        rejected(set(["cache", "sentinel", "customConfig"], ["quorum 1"], prod), `${I}.cache.sentinel.customConfig[0]`, /quorum/);
        rejected(set(["cache", "sentinel", "customConfig"], ["auth-pass x"]), `${I}.cache.sentinel.customConfig[0]`, /password Secret/);
    });

    it("images: every image setting pinned by the reference grammar", () => {
        accepted(withSetting(dev, "redis-ha:exporterImage", [], "registry.local:5000/x/y:v1"));
        accepted(withSetting(dev, "redis-ha:exporterImage", [], `oliver006/redis_exporter@sha256:${"0".repeat(64)}`));
        accepted(withSetting(dev, "redis-ha:operator", ["imageRepository"], "registry.local:5000/mirror/redis-operator"));
        rejected(withSetting(dev, "redis-ha:exporterImage", [], "redis:latest"), "redis-ha:exporterImage", /not pinned/);
        rejected(withSetting(dev, "redis-ha:exporterImage", [], "redis"), "redis-ha:exporterImage", /not pinned/);
        rejected(withSetting(dev, "redis-ha:exporterImage", [], "redis:v1;rm -rf /"), "redis-ha:exporterImage", /not an image reference/);
        rejected(
            withSetting(dev, "redis-ha:cluster", ["pauseImage"], "registry.k8s.io/pause"),
            "redis-ha:cluster.pauseImage",
            /not pinned/,
        );
        rejected(
            withSetting(dev, "redis-ha:operator", ["imageRepository"], "quay.io/spotahome/redis-operator:v1.3.0"),
            "redis-ha:operator.imageRepository",
            /without tag/,
        );
    });

    it("AWS: ids of 8 or 17 hex digits, instance types of the pinned provider", () => {
        accepted(withSetting(dev, "redis-ha:nodes", ["auth", "subnetId"], "subnet-0aa1b2c3"));
        rejected(withSetting(dev, "redis-ha:nodes", ["auth", "subnetId"], "subnet-0aa1b2c3d"), "redis-ha:nodes.auth.subnetId", /8 or 17/);
        rejected(withSetting(dev, "redis-ha:cluster", ["vpcId"], "vpc-0a1b2c3d4e5f6071"), "redis-ha:cluster.vpcId", /VPC id/);
        rejected(
            withSetting(dev, "redis-ha:nodes", ["auth", "instanceType"], "t3.medum"),
            "redis-ha:nodes.auth.instanceType",
            /did you mean t3.medium\?/,
        );
    });

    it("AWS: KMS key forms and the Secrets Manager name", () => {
        for (const kmsKeyId of ["alias/redis-ha", "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"]) {
            assert.strictEqual(accepted(withSetting(dev, "redis-ha:appSecrets", ["kmsKeyId"], kmsKeyId)).appSecrets.kmsKeyId, kmsKeyId);
        }
        rejected(withSetting(dev, "redis-ha:appSecrets", ["kmsKeyId"], "my-key"), "redis-ha:appSecrets.kmsKeyId", /not a KMS key/);
        rejected(withSetting(dev, "redis-ha:appSecrets", ["name"], "redis ha/env"), "redis-ha:appSecrets.name", /Secrets Manager name/);
    });

    it("SSH users and Go durations", () => {
        accepted(withSetting(dev, "redis-ha:cluster", ["bastion"], { host: "bastion.example.com", user: "ec2-user" }));
        rejected(withSetting(dev, "redis-ha:cluster", ["sshUser"], "Ubuntu"), "redis-ha:cluster.sshUser", /Linux user name/);
        const interval = ["externalSecrets", 0, "refreshInterval"];
        assert.strictEqual(
            accepted(withSetting(dev, "redis-ha:appSecrets", interval, "1h30m")).appSecrets.externalSecrets[0].refreshInterval,
            "1h30m",
        );
        rejected(
            withSetting(dev, "redis-ha:appSecrets", interval, "1hour"),
            "redis-ha:appSecrets.externalSecrets[0].refreshInterval",
            /Go duration/,
        );
    });

    it("reports a near-namespace key as a likely typo naming the intended key", () => {
        for (const namespace of ["redis_ha", "redisha", "redis-ha-", "Redis-HA"]) {
            rejected(
                { ...dev, [`${namespace}:namespace`]: "redis" },
                `${namespace}:namespace`,
                /likely typo; did you mean redis-ha:namespace\?/,
            );
        }
        accepted({ ...dev, "redis:anything": "x", "aws:region": "eu-west-1" });
    });

    it("refuses secrets in plain text, with the exact fix", () => {
        const withKey = {
            ...dev,
            "redis-ha:sshPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----",
            "redis-ha:kubeconfig": "apiVersion: v1",
        };
        rejected(withKey, "redis-ha:sshPrivateKey", /pulumi config set --secret redis-ha:sshPrivateKey < key\.pem$/, { secretKeys: [] });
        rejected(withKey, "redis-ha:kubeconfig", /pulumi config set --secret redis-ha:kubeconfig </, { secretKeys: () => false });
        accepted(withKey, { secretKeys: ["redis-ha:sshPrivateKey", "redis-ha:kubeconfig"] });
    });

    it("checks a cluster given without nodes, and still hands it on only with nodes", () => {
        const noNodes = withSetting(dev, "redis-ha:nodes", [], undefined);
        assert.strictEqual(accepted(noNodes).cluster, undefined);
        rejected(withSetting(noNodes, "redis-ha:cluster", ["vpcId"], "vpc-x"), "redis-ha:cluster.vpcId", /VPC id/);
    });

    it("names the nearest key of a misspelt setting", () => {
        rejected(set(["auth", "sentinel", "replica"], 1), `${I}.auth.sentinel.replica`, /did you mean replicas\?/);
        rejected(withSetting(dev, "redis-ha:placementLabels", [], "x"), "redis-ha:placementLabels", /did you mean placementLabel\?/);
    });
});
