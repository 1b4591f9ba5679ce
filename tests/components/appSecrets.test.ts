import * as assert from "assert";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AppSecrets, buildExternalSecret } from "../../components/appSecrets";
import { recordResources, SECRET_MASK } from "../../plan/mockRuntime";

describe("components: AppSecrets", () => {
    const target = {
        namespace: "api",
        name: "api-redis-env",
        storeName: "aws-secrets-manager",
        storeKind: "ClusterSecretStore" as const,
        refreshInterval: "1h",
    };

    it("maps every env var to a property of the published secret, as the seed's api-secrets did", () => {
        const external = buildExternalSecret(target, "redis-ha/dev/app-env", ["AUTH_REDIS_BLACKLIST_URL", "IMAGE_REDIS_URL"]);
        assert.strictEqual(external.apiVersion, "external-secrets.io/v1beta1");
        assert.deepStrictEqual(external.spec.secretStoreRef, { name: "aws-secrets-manager", kind: "ClusterSecretStore" });
        assert.deepStrictEqual(external.spec.data, [
            { secretKey: "AUTH_REDIS_BLACKLIST_URL", remoteRef: { key: "redis-ha/dev/app-env", property: "AUTH_REDIS_BLACKLIST_URL" } },
            { secretKey: "IMAGE_REDIS_URL", remoteRef: { key: "redis-ha/dev/app-env", property: "IMAGE_REDIS_URL" } },
        ]);
        assert.deepStrictEqual(external.spec.target, { name: "api-redis-env", creationPolicy: "Owner" });
    });

    it("publishes one JSON secret per stack with the KMS key, its value masked, and ExternalSecrets after it", async () => {
        const { resources } = await recordResources({ stack: "dev" }, () => {
            const provider = new k8s.Provider("k8s", {});
            return new AppSecrets("app-env", {
                config: { enabled: true, name: "redis-ha/dev/app-env", kmsKeyId: "alias/redis-ha", externalSecrets: [target] },
                appEnv: { AUTH_REDIS_BLACKLIST_URL: pulumi.secret("redis://:TOPSECRET@rfrm-auth-redis.redis.svc.cluster.local:6379/0") },
                kubernetesProvider: provider,
            });
        });
        const secret = resources.find((r) => r.type === "aws:secretsmanager/secret:Secret")!;
        const version = resources.find((r) => r.type === "aws:secretsmanager/secretVersion:SecretVersion")!;
        const external = resources.find((r) => r.type === "kubernetes:external-secrets.io/v1beta1:ExternalSecret")!;
        assert.strictEqual(secret.inputs.name, "redis-ha/dev/app-env");
        assert.strictEqual(secret.inputs.kmsKeyId, "alias/redis-ha");
        assert.strictEqual(version.inputs.secretString, SECRET_MASK);
        assert.ok(version.dependencies.includes(secret.urn));
        assert.ok(external.dependencies.includes(version.urn));
        assert.ok(!JSON.stringify(resources).includes("TOPSECRET"));
    });
});
