import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseStackConfig } from "../../config/parse";
import { PROJECT } from "../../facts/project";
import { ENCRYPTED_PLACEHOLDER, readStackFile, StackFileError } from "../../config/stackFile";

const SECRET = "AKIAIOSFODNN7EXAMPLEsecretvalue";

function writeStackFile(name: string, text: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "redis-ha-stack-"));
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
}

function readError(file: string): StackFileError {
    try {
        readStackFile(file, PROJECT);
    } catch (error) {
        assert.ok(error instanceof StackFileError, `expected a StackFileError, got ${String(error)}`);
        return error;
    }
    assert.fail("expected the stack file to be refused");
}

describe("config: stack files", () => {
    it("reports a duplicate key in one line, with file and line, quoting nothing", () => {
        const file = writeStackFile(
            "Pulumi.x.yaml",
            `config:\n  redis-ha:namespace: redis\n  aws:secretKey: ${SECRET}\n  redis-ha:namespace: other\n`,
        );
        const error = readError(file);
        assert.strictEqual(error.message, "Pulumi.x.yaml:4: duplicated mapping key");
        assert.ok(!error.message.includes(SECRET) && !error.message.includes("\n"));
    });

    it("reports a YAML syntax error in one line, without the file's content", () => {
        const file = writeStackFile(
            "Pulumi.y.yaml",
            `config:\n  aws:secretKey: ${SECRET}\n  redis-ha:appEnv: [ { name: A, instance: auth\n  redis-ha:namespace: redis\n`,
        );
        const error = readError(file);
        assert.match(error.message, /^Pulumi\.y\.yaml:\d+: [^\n]+$/);
        assert.ok(!error.message.includes(SECRET), error.message);
        assert.ok(!(error.stack ?? "").includes(SECRET), "not in the stack either");
    });

    it("reports a file that is not a stack file, and one that cannot be read", () => {
        assert.strictEqual(
            readError(writeStackFile("Pulumi.z.yaml", "- a\n- b\n")).message,
            "Pulumi.z.yaml: a stack file must be a YAML mapping with a `config:` mapping",
        );
        assert.match(readError("/nonexistent/Pulumi.none.yaml").message, /^Pulumi\.none\.yaml: cannot be read \(ENOENT\)$/);
    });

    it("marks secure values secret, and the parser accepts them", () => {
        const file = writeStackFile("Pulumi.s.yaml", "config:\n  redis-ha:kubeconfig:\n    secure: v1:abc\n");
        const { config, secretKeys } = readStackFile(file, PROJECT);
        assert.deepStrictEqual(secretKeys, ["redis-ha:kubeconfig"]);
        assert.strictEqual(config["redis-ha:kubeconfig"], ENCRYPTED_PLACEHOLDER);
    });

    it("reports every problem of a stack file by key", () => {
        const file = writeStackFile(
            "Pulumi.bad.yaml",
            [
                "config:",
                "  redis-ha:highlyAvailable: true",
                "  redis_ha:namespace: redis",
                "  redis-ha:sshPrivateKey: not-encrypted",
                "  redis-ha:exporterImage: oliver006/redis_exporter:latest",
                "  redis-ha:instances:",
                "    cache:",
                "      sentinel: { replicas: 2, customConfig: [quorum 1] }",
                "      redis:",
                "        replicas: 3",
                "        resources: { requests: { cpu: 500m }, limits: { cpu: 200m, memory: 512mi } }",
                "        maxmemory: 256 mb",
                "        maxmemoryPolicy: allkeys-lru",
                "        storage: { persistentVolumeClaim: { size: 1Gi, storageClass: gp3, accessModes: [ReadWriteOnse] } }",
                "        maxmemoryPolicyy: noeviction",
                "  redis-ha:appEnv:",
                "    - { name: CACHE_URL, instance: cache, db: 0 }",
                "    - { name: CACHE_URL, instance: sessions, db: 16 }",
                "  redis-ha:nodes:",
                "    cache: { instanceType: t3.medum, subnetId: subnet-123 }",
                "",
            ].join("\n"),
        );
        const { config, secretKeys } = readStackFile(file, PROJECT);
        const result = parseStackConfig(config, "bad", { secretKeys });
        assert.strictEqual(result.config, undefined);
        const I = "redis-ha:instances.cache";
        assert.deepStrictEqual(result.issues.map((i) => i.key).sort(), [
            "redis-ha:appEnv[1].db",
            "redis-ha:appEnv[1].instance",
            "redis-ha:appEnv[1].name",
            "redis-ha:cluster",
            "redis-ha:exporterImage",
            `${I}.redis.appendonly`, // an instance with a claim holds data: AOF on,
            `${I}.redis.maxmemory`,
            `${I}.redis.maxmemoryPolicy`, // and noeviction
            `${I}.redis.maxmemoryPolicyy`,
            `${I}.redis.resources.limits.memory`,
            `${I}.redis.resources.requests.cpu`,
            `${I}.redis.storage.persistentVolumeClaim.accessModes[0]`,
            `${I}.sentinel.customConfig[0]`,
            `${I}.sentinel.replicas`,
            "redis-ha:nodes.cache", // a highly available stack: at least 3 nodes
            "redis-ha:nodes.cache.instanceType",
            "redis-ha:nodes.cache.subnetId",
            "redis-ha:sshPrivateKey",
            "redis_ha:namespace",
        ]);
    });
});
