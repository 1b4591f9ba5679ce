// The whole stack: top-level keys (`redis-ha:<key>`), the rules that span them (crossRules.ts), and
// the defaults that depend on other settings (protectData, keepAfterDeletion, the min-replicas
// settings, appSecrets.recoveryWindowInDays).

import { z } from "zod";
import { dnsLabelProblem, imageReferenceProblem } from "../../facts/patterns";
import { alertsSchema, appEnvSchema, appSecretsSchema, verifySchema } from "./apps";
import { backupSchema } from "./backup";
import { clusterSchema, nodesSchema } from "./cluster";
import { ALWAYS, grammar, labelKey, strict } from "./common";
import { crossRules } from "./crossRules";
import { defaultMinReplicasToWrite, instancesSchema, REDIS_DEFAULT_MIN_REPLICAS_MAX_LAG } from "./instances";
import { operatorSchema } from "./operator";

/** Top-level keys whose values are secrets: Pulumi must hold them encrypted. */
export const SECRET_KEYS = ["kubeconfig", "sshPrivateKey"] as const;

function stackShape(stackName: string) {
    return {
        // The stack promises high availability: every instance has at least 3 sentinels and 3 redis.
        highlyAvailable: z.boolean().default(false),
        // Defaults to highlyAvailable.
        protectData: z.boolean().optional(),
        namespace: grammar(dnsLabelProblem).default("redis"),
        placementLabel: labelKey().default("redis-cluster"),
        exporterImage: grammar(imageReferenceProblem).default("oliver006/redis_exporter:v1.62.0"),
        // Ambient (the environment's kubeconfig) when absent.
        kubeconfig: grammar().optional(),
        operator: operatorSchema.prefault({}),
        instances: instancesSchema,
        appEnv: appEnvSchema,
        cluster: clusterSchema.optional(),
        nodes: nodesSchema,
        // The SSH agent's keys when absent.
        sshPrivateKey: grammar().optional(),
        verify: verifySchema,
        appSecrets: appSecretsSchema(stackName),
        alerts: alertsSchema,
        backup: backupSchema,
    };
}

// The node-group limits are defined with the rules that enforce them (crossRules.ts).

function buildStackSchema(stackName: string) {
    return (
        strict(stackShape(stackName))
            .superRefine(crossRules, ALWAYS)
            // kubeconfig and sshPrivateKey are left out: `loadConfig` reads them as secret outputs.
            .transform(({ kubeconfig: _kubeconfig, sshPrivateKey: _sshPrivateKey, protectData: givenProtectData, cluster, ...stack }) => {
                const protectData = givenProtectData ?? stack.highlyAvailable;
                const instances = stack.instances.map((instance) => {
                    const given = instance.redis.storage;
                    const storage =
                        given.kind === "emptyDir" ? given : { ...given, keepAfterDeletion: given.keepAfterDeletion ?? protectData };
                    const minReplicasToWrite =
                        instance.redis.minReplicasToWrite ?? defaultMinReplicasToWrite(stack.highlyAvailable, instance.holdsData);
                    const minReplicasMaxLag = instance.redis.minReplicasMaxLag ?? REDIS_DEFAULT_MIN_REPLICAS_MAX_LAG;
                    return { ...instance, redis: { ...instance.redis, storage, minReplicasToWrite, minReplicasMaxLag } };
                });
                // A deleted app secret is kept 7 days where data is protected, deleted at once elsewhere.
                const appSecrets = {
                    ...stack.appSecrets,
                    recoveryWindowInDays: stack.appSecrets.recoveryWindowInDays ?? (protectData ? 7 : 0),
                };
                // Every data-holding instance unless the list names some.
                const backup = stack.backup && {
                    ...stack.backup,
                    instances: stack.backup.instances ?? instances.filter((instance) => instance.holdsData).map((i) => i.purpose),
                };
                // The cluster is only used, and so only handed on, when nodes are managed.
                return {
                    ...stack,
                    protectData,
                    instances,
                    appSecrets,
                    backup,
                    ...(cluster && stack.nodes.length > 0 ? { cluster } : {}),
                };
            })
    );
}

const schemas = new Map<string, ReturnType<typeof buildStackSchema>>();

/** The stack schema; only the default Secrets Manager name depends on the stack, so one is built per stack name. */
export function stackConfigSchema(stackName: string): ReturnType<typeof buildStackSchema> {
    let schema = schemas.get(stackName);
    if (!schema) schemas.set(stackName, (schema = buildStackSchema(stackName)));
    return schema;
}

/** The top-level keys and their schemas (for the parser and the README check). */
export const STACK_SHAPE = stackShape("<stack>");
