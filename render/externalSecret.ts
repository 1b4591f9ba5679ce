// The ExternalSecrets that copy the published app env into application namespaces. Pure.

import { AppSecretsConfig, ExternalSecretTarget } from "../config/types";
import { EXTERNAL_SECRET_VERSIONS } from "../config/schema/apps";
import { MANAGED_BY_LABEL, PROJECT } from "../facts/project";

/** The ExternalSecret's apiVersion for `appSecrets.externalSecretApiVersion` (v1 unless the install predates v0.16). */
export function externalSecretApiVersion(version: AppSecretsConfig["externalSecretApiVersion"]): string {
    return `external-secrets.io/${version}`;
}

/**
 * The same ExternalSecret under the other API versions: switching `externalSecretApiVersion` (the
 * v1beta1 to v1 move) then updates the object in place. Without the alias the new type would be a
 * new resource, and deleting the old one would delete `<namespace>/<name>` itself (and, with
 * creationPolicy Owner, the Secret it made). pulumi-kubernetes aliases its own resources across
 * API versions the same way (e.g. apps/v1 Deployment to apps/v1beta1).
 */
export function externalSecretAliases(version: AppSecretsConfig["externalSecretApiVersion"]): Array<{ type: string }> {
    return EXTERNAL_SECRET_VERSIONS.filter((other) => other !== version).map((other) => ({
        type: `kubernetes:${externalSecretApiVersion(other)}:ExternalSecret`,
    }));
}

/**
 * An ExternalSecret that maps every env var of the published secret to a key of one Kubernetes Secret.
 * The fields used (`refreshInterval`, `secretStoreRef{name,kind}`, `target{name,creationPolicy}`,
 * `data[]{secretKey,remoteRef{key,property}}`) are the same in v1 and v1beta1: compared in
 * external-secrets' config/crds/bases/external-secrets.io_externalsecrets.yaml at v0.17.0 and at 2.9.0.
 */
export function buildExternalSecret(
    target: ExternalSecretTarget,
    secretName: string,
    envNames: string[],
    version: AppSecretsConfig["externalSecretApiVersion"] = "v1",
) {
    return {
        apiVersion: externalSecretApiVersion(version),
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
