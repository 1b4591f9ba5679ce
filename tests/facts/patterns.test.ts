import * as assert from "assert";
import {
    awsIdProblem,
    dnsLabelProblem,
    dnsSubdomainProblem,
    goDurationProblem,
    imageReferenceProblem,
    imageRepositoryProblem,
    imageTagProblem,
    instanceTypeProblem,
    kmsKeyProblem,
    labelKeyProblem,
    labelValueProblem,
    linuxUserProblem,
    parseK8sMemoryBytes,
    parseQuantity,
    parseRedisBytes,
    quantityProblem,
    redisMaxmemoryProblem,
    secretsManagerNameProblem,
} from "../../facts/patterns";
import { redisDirectiveProblem, sentinelDirectiveProblem } from "../../config/schema/directives";

function accepts(problem: (value: string) => string | undefined, values: string[]) {
    for (const value of values) assert.strictEqual(problem(value), undefined, `${value} should be accepted`);
}
function refuses(problem: (value: string) => string | undefined, values: string[], why: RegExp) {
    for (const value of values) assert.match(problem(value) ?? "(accepted)", why, `${value} should be refused`);
}

describe("facts/patterns: shared grammars", () => {
    it("Redis sizes follow memtoull: units in any case, no space, plain bytes", () => {
        assert.strictEqual(parseRedisBytes("256mb"), 256 * 1024 ** 2);
        assert.strictEqual(parseRedisBytes("1GB"), 1024 ** 3);
        accepts(redisMaxmemoryProblem, ["256mb", "1GB", "268435456", "2g"]);
        assert.strictEqual(redisMaxmemoryProblem(268435456), undefined, "a JSON number is bytes");
        refuses(redisMaxmemoryProblem, ["256 mb", "256mib", "1.5gb", "-1mb"], /not a Redis memory size/);
        refuses(redisMaxmemoryProblem, ["0"], /no limit/);
        refuses(redisMaxmemoryProblem, ["12", "1000k"], /at least 1mb/);
    });

    it("Kubernetes quantities are case-sensitive, with exponents and milli", () => {
        assert.strictEqual(parseQuantity("512Mi"), 512 * 1024 ** 2);
        assert.strictEqual(parseQuantity("1G"), 1e9);
        assert.strictEqual(parseQuantity("500m"), 0.5);
        assert.strictEqual(parseQuantity("1.5"), 1.5);
        assert.strictEqual(parseQuantity("1e9"), 1e9);
        accepts((q) => quantityProblem(q, "memory"), ["512Mi", "1G", "1e9", "1.5Gi", "128974848"]);
        accepts((q) => quantityProblem(q, "cpu"), ["500m", "1.5", "2", ".5"]);
        refuses((q) => quantityProblem(q, "memory"), ["512mi", "512MB"], /did you mean 512Mi/);
        refuses((q) => quantityProblem(q, "cpu"), ["1.5.2", "1core", "m", "300 m"], /not a Kubernetes quantity/);
        refuses((q) => quantityProblem(q, "memory"), ["512m"], /thousandths .* did you mean 512Mi/);
    });

    it("label keys and values, DNS-1123 labels and subdomains", () => {
        accepts(labelKeyProblem, ["redis-cluster", "node-role.kubernetes.io/control-plane", "Dedicated_1"]);
        refuses(labelKeyProblem, ["-x", "a/b/c", "/x", "UPPER.example/x", `${"a".repeat(64)}`], /not a label key/);
        accepts(labelValueProblem, ["", "kube-prometheus-stack", "A.b_c"]);
        refuses(labelValueProblem, ["-x", "a b", "a".repeat(64)], /not a label value/);
        accepts(dnsLabelProblem, ["redis", "auth-redis"]);
        refuses(dnsLabelProblem, ["Redis", "api.redis", "-a"], /DNS-1123 label/);
        accepts(dnsSubdomainProblem, ["api.redis-env", "gp3"]);
        refuses(dnsSubdomainProblem, ["Api.env", "a..b"], /DNS-1123 subdomain/);
    });

    it("image references follow distribution/reference and must be pinned", () => {
        accepts(imageReferenceProblem, [
            "registry.local:5000/team/redis_exporter:v1.62.0",
            "registry.local:5000/x/y:v1",
            `redis@sha256:${"a".repeat(64)}`,
            "registry.k8s.io/pause:3.9",
        ]);
        refuses(imageReferenceProblem, ["redis:latest", "redis", "registry:5000/redis"], /not pinned/);
        refuses(imageReferenceProblem, ["redis:v1;rm -rf /", "Redis:7", "redis:7 "], /not an image reference/);
        refuses(
            imageReferenceProblem,
            [`redis@sha256:${"a".repeat(63)}`, `redis@sha512:${"a".repeat(64)}`],
            /not an image reference|not sha256/,
        );
        accepts(imageRepositoryProblem, ["quay.io/spotahome/redis-operator", "registry.local:5000/team/op"]);
        refuses(imageRepositoryProblem, ["quay.io/spotahome/redis-operator:v1", "Quay/x"], /not an image repository/);
        accepts(imageTagProblem, ["v1.3.0", "v1.3.0-rc1"]);
        refuses(imageTagProblem, ["latest"], /latest is not allowed/);
        refuses(imageTagProblem, ["-v1", "v1;ls"], /not an image tag/);
    });

    it("AWS ids have 8 or 17 hex digits; instance types come from @pulumi/aws", () => {
        accepts((id) => awsIdProblem(id, "subnet"), ["subnet-0aa1b2c3", "subnet-0aa1b2c3d4e5f6071"]);
        refuses((id) => awsIdProblem(id, "subnet"), ["subnet-0aa1b2c3d", "subnet-0AA1B2C3", "sg-0aa1b2c3"], /not a subnet id/);
        accepts((id) => awsIdProblem(id, "ami"), ["ami-0123456789abcdef0"]);
        accepts(instanceTypeProblem, ["t3.medium", "m7g.large"]);
        assert.match(
            instanceTypeProblem("t3.medum") ?? "",
            /not an EC2 instance type known to @pulumi\/aws [\d.]+; did you mean t3.medium\?/,
        );
        assert.match(instanceTypeProblem("medium") ?? "", /not an EC2 instance type/);
    });

    it("KMS key forms, Secrets Manager names, SSH users, Go durations", () => {
        const uuid = "1234abcd-12ab-34cd-56ef-1234567890ab";
        accepts(kmsKeyProblem, [
            uuid,
            `mrk-${"0".repeat(32)}`,
            `arn:aws:kms:us-east-2:111122223333:key/${uuid}`,
            "alias/redis-ha",
            "arn:aws:kms:us-east-2:111122223333:alias/redis-ha",
        ]);
        refuses(kmsKeyProblem, ["redis-ha", "1234abcd", "arn:aws:kms:us-east-2:1111:key/x"], /not a KMS key/);
        accepts(secretsManagerNameProblem, ["redis-ha/dev/app-env", "team+a=b.c@d"]);
        refuses(secretsManagerNameProblem, ["has space", "a".repeat(513), "x#y"], /not a Secrets Manager name/);
        refuses(secretsManagerNameProblem, ["app-secret"], /hyphen and six characters/);
        accepts(linuxUserProblem, ["ubuntu", "ec2-user", "_svc", "machine$"]);
        refuses(linuxUserProblem, ["Ubuntu", "1user", "a".repeat(33), "root;id"], /not a Linux user name/);
        accepts(goDurationProblem, ["1h30m", "90s", "1.5h", "0", "300ms"]);
        refuses(goDurationProblem, ["1hour", "1d", "-1h", "h", ""], /not a Go duration/);
    });

    it("redis customConfig: one directive per line, none the program or operator owns", () => {
        accepts(redisDirectiveProblem, [
            "tcp-keepalive 60",
            "notify-keyspace-events Ex",
            "hz 20",
            "maxmemory-samples 10",
            "appendfsync always",
        ]);
        refuses(redisDirectiveProblem, ["hz 20\nmaxmemory 1gb", "hz 20\r"], /more than one line/);
        refuses(redisDirectiveProblem, [""], /empty/);
        refuses(redisDirectiveProblem, ["hz", "hz\t20", " hz 20"], /"<directive> <value>"/);
        assert.match(redisDirectiveProblem('rename-command FLUSHALL ""') ?? "", /customCommandRenames/);
        for (const line of [
            "dir /tmp",
            "save 60 1",
            "requirepass x",
            "maxmemory-policy noeviction",
            "replicaof 10.0.0.1 6379",
            "port 6380",
            "include /etc/x.conf",
        ]) {
            assert.ok(redisDirectiveProblem(line), line);
        }
        assert.strictEqual(redisDirectiveProblem("appendfsync no"), undefined);
        assert.match(redisDirectiveProblem("appendfsync no", true) ?? "", /data-holding/);
    });

    it("sentinel customConfig: no monitor, auth, typed timings; quorum only outside HA", () => {
        accepts((line) => sentinelDirectiveProblem(line), ["parallel-syncs 1", "quorum 2"]);
        refuses(
            (line) => sentinelDirectiveProblem(line),
            ["monitor mymaster 10.0.0.1 6379 2", "auth-pass x", "down-after-milliseconds 1000"],
            /sets "/,
        );
        refuses((line) => sentinelDirectiveProblem(line), ["sentinel parallel-syncs mymaster 1"], /sentinel.conf line/);
        assert.match(sentinelDirectiveProblem("quorum 1", true) ?? "", /quorum/);
    });
    it("reads Kubernetes memory quantities", () => {
        assert.strictEqual(parseK8sMemoryBytes("512Mi"), 512 * 1024 ** 2);
        assert.strictEqual(parseK8sMemoryBytes("1Gi"), 1024 ** 3);
        assert.strictEqual(parseK8sMemoryBytes("1G"), 1e9);
        assert.strictEqual(parseK8sMemoryBytes("128974848"), 128974848);
        assert.strictEqual(parseK8sMemoryBytes("129e6"), 129e6);
        assert.strictEqual(parseK8sMemoryBytes("1.5Gi"), 1.5 * 1024 ** 3);
        assert.strictEqual(parseK8sMemoryBytes("512mb"), undefined);
        assert.strictEqual(parseK8sMemoryBytes("Mi"), undefined);
    });
});
