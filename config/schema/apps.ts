// What applications get: env vars, their publication to Secrets Manager, alerts, and the health check.

import { z } from "zod";
import { dnsLabelProblem, dnsSubdomainProblem, goDurationProblem, kmsKeyProblem, secretsManagerNameProblem } from "../../facts/patterns";
import { ALWAYS, field, grammar, int, labelMap, matching, strict } from "./common";

/** `appEnv`: env var name, the purpose it points at, and a logical db; names unique. */
export const appEnvSchema = z
    .array(
        strict({
            name: matching(/^[A-Z_][A-Z0-9_]*$/, "is not an environment variable name (A-Z, 0-9, _)"),
            instance: grammar(),
            db: int(0, 15),
        }),
    )
    .superRefine((entries, ctx) => {
        const seen = new Map<string, number>();
        (Array.isArray(entries) ? entries : []).forEach((entry, index) => {
            const name = field(entry, "name");
            if (typeof name !== "string") return;
            const first = seen.get(name);
            if (first === undefined) seen.set(name, index);
            else
                ctx.addIssue({ code: "custom", path: [index, "name"], message: `${name} is already defined by redis-ha:appEnv[${first}]` });
        });
    }, ALWAYS)
    .default([]);

export const verifySchema = strict({
    enabled: z.boolean().default(true),
    // `kubernetes`: through the API server; `direct`: service and pod addresses, for runners inside the cluster network.
    transport: z.enum(["kubernetes", "direct"]).default("kubernetes"),
    timeoutSeconds: int(5, 3600).default(300),
    // The operator's Services must stay inside the cluster unless a stack exposes them on purpose.
    allowExternalServices: z.boolean().default(false),
}).prefault({});

const externalSecretSchema = strict({
    namespace: grammar(dnsLabelProblem),
    name: grammar(dnsSubdomainProblem).default("redis-env"),
    storeName: grammar(dnsSubdomainProblem),
    storeKind: z.enum(["ClusterSecretStore", "SecretStore"]).default("ClusterSecretStore"),
    refreshInterval: grammar(goDurationProblem).default("1h"),
});

/**
 * Days Secrets Manager keeps a deleted secret: 0 deletes it at once (ForceDeleteWithoutRecovery), else
 * 7 to 30 (the DeleteSecret API's RecoveryWindowInDays range; terraform-provider-aws
 * internal/service/secretsmanager/secret.go validates `recovery_window_in_days` the same way).
 */
const recoveryWindowSchema = z.number().superRefine((days, ctx) => {
    if (!Number.isInteger(days) || (days !== 0 && (days < 7 || days > 30)))
        ctx.addIssue({
            code: "custom",
            message: `must be 0 (delete at once, no recovery) or a whole number of days from 7 to 30, got ${days}`,
        });
});

/**
 * Versions of external-secrets' ExternalSecret. v1 is served from external-secrets v0.16.0 on;
 * v1beta1 is `served: false` from v0.17.0 on (config/crds/bases/external-secrets.io_externalsecrets.yaml
 * at tag v0.17.0), so v1beta1 is only for installs older than v0.16.
 */
export const EXTERNAL_SECRET_VERSIONS = ["v1", "v1beta1"] as const;

/** Publishing appEnv to Secrets Manager: off when the key is absent, on by default when it is set. */
export function appSecretsSchema(stackName: string) {
    return strict({
        enabled: z.boolean().default(true),
        name: grammar(secretsManagerNameProblem).default(`redis-ha/${stackName}/app-env`),
        kmsKeyId: grammar(kmsKeyProblem).optional(),
        // Defaults to 7 in a stack with protectData, else 0 (resolved with the stack, config/schema/stack.ts).
        recoveryWindowInDays: recoveryWindowSchema.optional(),
        externalSecretApiVersion: z.enum(EXTERNAL_SECRET_VERSIONS).default("v1"),
        externalSecrets: z.array(externalSecretSchema).default([]),
    })
        .superRefine((appSecrets, ctx) => {
            const targets = field(appSecrets, "externalSecrets");
            if (field(appSecrets, "enabled") === false && Array.isArray(targets) && targets.length > 0) {
                ctx.addIssue({
                    code: "custom",
                    path: ["externalSecrets"],
                    message: "ExternalSecrets read the published secret; enable appSecrets or remove them",
                });
            }
        }, ALWAYS)
        .prefault({ enabled: false });
}

/** PodMonitors and a PrometheusRule: off when the key is absent, on by default when it is set. */
export const alertsSchema = strict({
    enabled: z.boolean().default(true),
    labels: labelMap().default({}),
    memoryRatio: z
        .number()
        .refine((ratio) => ratio > 0 && ratio < 1, {
            error: (issue) => `must be a number between 0 and 1, got ${JSON.stringify(issue.input)}`,
        })
        .default(0.8),
}).prefault({ enabled: false });
