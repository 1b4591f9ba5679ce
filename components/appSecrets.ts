// Publishes the applications' Redis env vars to AWS Secrets Manager (one JSON secret per stack),
// and optionally the ExternalSecrets that copy it into application namespaces.

import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AppSecretsConfig, ExternalSecretTarget } from "../config/types";
import { MANAGED_BY_LABEL, PROJECT } from "../facts/project";

/** API version of the external-secrets operator's ExternalSecret. */
export const EXTERNAL_SECRET_API_VERSION = "external-secrets.io/v1beta1";

/** An ExternalSecret that maps every env var of the published secret to a key of one Kubernetes Secret. */
export function buildExternalSecret(target: ExternalSecretTarget, secretName: string, envNames: string[]) {
    return {
        apiVersion: EXTERNAL_SECRET_API_VERSION,
        kind: "ExternalSecret",
        metadata: { name: target.name, namespace: target.namespace, labels: { [MANAGED_BY_LABEL]: PROJECT } },
        spec: {
            refreshInterval: target.refreshInterval,
            secretStoreRef: { name: target.storeName, kind: target.storeKind },
            target: { name: target.name, creationPolicy: "Owner" },
            data: envNames.map((env) => ({ secretKey: env, remoteRef: { key: secretName, property: env } })),
        },
    };
}

/** Arguments of `AppSecrets`. */
export interface AppSecretsArgs {
    /** Where to publish. */
    config: AppSecretsConfig;
    /** Env var name to URL; each value secret. */
    appEnv: Record<string, pulumi.Output<string>>;
    /** Kubernetes provider, for the ExternalSecrets. */
    kubernetesProvider: k8s.Provider;
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
        for (const target of args.config.externalSecrets) {
            new k8s.apiextensions.CustomResource(
                `${name}-${target.namespace}-${target.name}`,
                buildExternalSecret(target, args.config.name, envNames),
                { parent: this, provider: args.kubernetesProvider, dependsOn: [version] },
            );
        }
        this.secretArn = secret.arn;
        this.secretName = secret.name;
        this.registerOutputs({ secretArn: this.secretArn, secretName: this.secretName });
    }
}
