import * as assert from "assert";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AppSecrets } from "../../components/appSecrets";
import { buildExternalSecret, externalSecretAliases } from "../../render/externalSecret";
import { AppSecretsConfig } from "../../config/types";
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
        assert.strictEqual(external.apiVersion, "external-secrets.io/v1", "v1beta1 is not served from external-secrets v0.17 on");
        assert.deepStrictEqual(external.spec.secretStoreRef, { name: "aws-secrets-manager", kind: "ClusterSecretStore" });
        assert.deepStrictEqual(external.spec.data, [
            { secretKey: "AUTH_REDIS_BLACKLIST_URL", remoteRef: { key: "redis-ha/dev/app-env", property: "AUTH_REDIS_BLACKLIST_URL" } },
            { secretKey: "IMAGE_REDIS_URL", remoteRef: { key: "redis-ha/dev/app-env", property: "IMAGE_REDIS_URL" } },
        ]);
        assert.deepStrictEqual(external.spec.target, { name: "api-redis-env", creationPolicy: "Owner" });
    });

    it("writes the same spec under v1beta1 for installs older than external-secrets v0.16", () => {
        const names = ["AUTH_REDIS_BLACKLIST_URL"];
        const v1 = buildExternalSecret(target, "redis-ha/dev/app-env", names, "v1");
        const old = buildExternalSecret(target, "redis-ha/dev/app-env", names, "v1beta1");
        assert.strictEqual(old.apiVersion, "external-secrets.io/v1beta1");
        assert.deepStrictEqual({ ...old, apiVersion: v1.apiVersion }, v1);
    });

    it("aliases the other version's type, so moving v1beta1 to v1 updates the ExternalSecret instead of deleting it", () => {
        assert.deepStrictEqual(externalSecretAliases("v1"), [{ type: "kubernetes:external-secrets.io/v1beta1:ExternalSecret" }]);
        assert.deepStrictEqual(externalSecretAliases("v1beta1"), [{ type: "kubernetes:external-secrets.io/v1:ExternalSecret" }]);
    });

    async function publish(config: Partial<AppSecretsConfig> = {}) {
        const { resources } = await recordResources({ stack: "dev" }, () => {
            const provider = new k8s.Provider("k8s", {});
            return new AppSecrets("app-env", {
                config: {
                    enabled: true,
                    name: "redis-ha/dev/app-env",
                    kmsKeyId: "alias/redis-ha",
                    recoveryWindowInDays: 0,
                    externalSecretApiVersion: "v1",
                    externalSecrets: [target],
                    ...config,
                },
                appEnv: {
                    AUTH_REDIS_BLACKLIST_URL: pulumi.secret("redis://default:TOPSECRET@rfrm-auth-redis.redis.svc.cluster.local:6379/0"),
                },
                kubernetesProvider: provider,
            });
        });
        return resources;
    }

    it("publishes one JSON secret per stack with the KMS key, its value masked, and ExternalSecrets after it", async () => {
        const resources = await publish();
        const secret = resources.find((r) => r.type === "aws:secretsmanager/secret:Secret")!;
        const version = resources.find((r) => r.type === "aws:secretsmanager/secretVersion:SecretVersion")!;
        const external = resources.find((r) => r.type === "kubernetes:external-secrets.io/v1:ExternalSecret")!;
        assert.strictEqual(secret.inputs.name, "redis-ha/dev/app-env");
        assert.strictEqual(secret.inputs.namePrefix, undefined, "a fixed name applications and ExternalSecrets can find");
        assert.strictEqual(secret.inputs.kmsKeyId, "alias/redis-ha");
        assert.strictEqual(secret.inputs.recoveryWindowInDays, 0);
        assert.strictEqual(version.inputs.secretString, SECRET_MASK);
        assert.ok(version.dependencies.includes(secret.urn));
        assert.ok(external.dependencies.includes(version.urn));
        assert.ok(!JSON.stringify(resources).includes("TOPSECRET"));
    });

    it("checks the ExternalSecret's store before making it, naming the config key that names the store", async () => {
        const resources = await publish();
        const external = resources.find((r) => r.type === "kubernetes:external-secrets.io/v1:ExternalSecret")!;
        const store = resources.find((r) => r.name === `app-env-${target.namespace}-${target.name}-store`)!;
        assert.strictEqual(store.type, "pulumi-nodejs:dynamic:Resource");
        assert.ok(external.dependencies.includes(store.urn), "the ExternalSecret waits for its store's check");
        assert.deepStrictEqual(
            [store.inputs.kind, store.inputs.name, store.inputs.namespace, store.inputs.configKey, store.inputs.version],
            [target.storeKind, target.storeName, target.namespace, "redis-ha:appSecrets.externalSecrets[0].storeName", "v1"],
        );
    });

    it("passes the recovery window and the ExternalSecret version through", async () => {
        const resources = await publish({ recoveryWindowInDays: 7, externalSecretApiVersion: "v1beta1" });
        assert.strictEqual(resources.find((r) => r.type === "aws:secretsmanager/secret:Secret")!.inputs.recoveryWindowInDays, 7);
        assert.strictEqual(resources.filter((r) => r.type === "kubernetes:external-secrets.io/v1beta1:ExternalSecret").length, 1);
    });
});
