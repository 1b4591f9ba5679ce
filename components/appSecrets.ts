// Publishes the applications' Redis env vars to AWS Secrets Manager (one JSON secret per stack),
// and optionally the ExternalSecrets that copy it into application namespaces.

import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AppSecretsConfig } from "../config/types";
import { PROJECT } from "../facts/project";
import { buildExternalSecret, externalSecretAliases } from "../render/externalSecret";
import { SecretStoreCheck } from "../providers/secretStoreCheck";

/** Arguments of `AppSecrets`. */
export interface AppSecretsArgs {
    /** Where to publish. */
    config: AppSecretsConfig;
    /** Env var name to URL; each value secret. */
    appEnv: Record<string, pulumi.Output<string>>;
    /** Kubernetes provider, for the ExternalSecrets. */
    kubernetesProvider: k8s.Provider;
    /** Kubeconfig the stores are checked with (secret); the default kubeconfig when absent. */
    kubeconfig?: pulumi.Input<string>;
}

/** The Secrets Manager secret (JSON keyed by env var) and its ExternalSecrets. */
export class AppSecrets extends pulumi.ComponentResource {
    /** The secret's ARN. */
    readonly secretArn: pulumi.Output<string>;
    /** The secret's name. */
    readonly secretName: pulumi.Output<string>;

    constructor(name: string, args: AppSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("redis-ha:aws:AppSecrets", name, {}, opts);
        const secret = new aws.secretsmanager.Secret(
            `${name}-secret`,
            {
                name: args.config.name,
                description: "Redis URLs for applications, published by redis-ha",
                kmsKeyId: args.config.kmsKeyId,
                // 0: deleted at once, so a destroyed stack can be re-created under the same name; 7-30: kept
                // that long, and the name stays taken until then (README "Re-creating a destroyed stack").
                recoveryWindowInDays: args.config.recoveryWindowInDays,
                tags: { "managed-by": PROJECT },
            },
            { parent: this },
        );
        // The value stays secret: it is built inside an apply over secret outputs and wrapped again.
        const value = pulumi.secret(pulumi.all(args.appEnv).apply((env) => JSON.stringify(env)));
        const version = new aws.secretsmanager.SecretVersion(
            `${name}-version`,
            { secretId: secret.id, secretString: value },
            { parent: this },
        );

        const envNames = Object.keys(args.appEnv);
        for (const [index, target] of args.config.externalSecrets.entries()) {
            // The store must exist, or the ExternalSecret never syncs: checked at preview.
            const store = new SecretStoreCheck(
                `${name}-${target.namespace}-${target.name}-store`,
                {
                    kind: target.storeKind,
                    name: target.storeName,
                    namespace: target.namespace,
                    configKey: `${PROJECT}:appSecrets.externalSecrets[${index}].storeName`,
                    version: args.config.externalSecretApiVersion,
                    kubeconfig: args.kubeconfig,
                },
                { parent: this },
            );
            new k8s.apiextensions.CustomResource(
                `${name}-${target.namespace}-${target.name}`,
                buildExternalSecret(target, args.config.name, envNames, args.config.externalSecretApiVersion),
                {
                    parent: this,
                    provider: args.kubernetesProvider,
                    dependsOn: [version, store],
                    aliases: externalSecretAliases(args.config.externalSecretApiVersion),
                },
            );
        }
        this.secretArn = secret.arn;
        this.secretName = secret.name;
        this.registerOutputs({ secretArn: this.secretArn, secretName: this.secretName });
    }
}
