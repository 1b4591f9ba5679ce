// Parses a stack's raw configuration with the zod schema (config/schema) and reports every problem
// at once, each with the full key that holds it. Pure: no Pulumi runtime needed.

import { z } from "zod";
import { closest, editDistance } from "../facts/patterns";
import { PROJECT } from "../facts/project";
import { ConfigError, ConfigIssue } from "./errors";
import { errorMap, UNKNOWN_KEY_PREFIX } from "./schema/common";
import { SECRET_KEYS, STACK_SHAPE, stackConfigSchema } from "./schema/stack";
import { StackConfig } from "./types";

/** What the caller knows beyond the values. */
export interface ParseOptions {
    /**
     * Which config keys (`redis-ha:sshPrivateKey`) hold secret values: a list or a predicate. When it
     * is absent, secrecy is unknown and not checked; `loadConfig` always passes what Pulumi knows.
     */
    secretKeys?: readonly string[] | ((key: string) => boolean);
}

/** Unwraps defaults and optionals to the schema that reads the value. */
function inner(schema: z.ZodType): z.ZodType {
    const def = schema.def as { type: string; innerType?: z.ZodType; in?: z.ZodType };
    if (def.type === "default" || def.type === "optional" || def.type === "prefault") return inner(def.innerType!);
    return def.type === "pipe" ? inner(def.in!) : schema;
}

/** Keys Pulumi passes as plain text (string settings); every other value arrives as JSON text. */
const TEXT_KEYS = new Set(Object.entries(STACK_SHAPE).flatMap(([key, schema]) => (inner(schema) instanceof z.ZodString ? [key] : [])));

/** Pulumi's text of an object, list, boolean or number; text that is not JSON is passed on for the schema to refuse. */
function decode(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

/** A namespace that is almost ours (`redis_ha`, `redisha`, `Redis-HA`, `redis-ha-`): most likely a typo. */
function nearProject(namespace: string): boolean {
    const lower = namespace.toLowerCase();
    return (
        namespace !== PROJECT &&
        (lower.replace(/[^a-z0-9]/g, "") === PROJECT.replace(/[^a-z0-9]/g, "") || editDistance(lower, PROJECT) <= 2)
    );
}

/** `redis-ha:instances.auth.redis.maxmemory`, `redis-ha:appEnv[4].instance`. */
function keyOf(path: readonly PropertyKey[]): string {
    return path.reduce<string>(
        (key, step, index) => (typeof step === "number" ? `${key}[${step}]` : `${key}${index === 0 ? "" : "."}${String(step)}`),
        `${PROJECT}:`,
    );
}

/** Whether an issue says the value is not of the option's type at all (a list given for an object). */
const wrongType = (issue: z.core.$ZodIssue) => issue.code === "invalid_type" && issue.path.length === 0;

/**
 * One issue per key: unknown keys are split out with the nearest known key as a hint. A value that
 * fits no form of a union (`nodes.<p>`: one node or a list of them) is reported by the form its
 * type matches, so each problem still names its key.
 */
function toConfigIssues(issues: readonly z.core.$ZodIssue[]): ConfigIssue[] {
    return issues.flatMap((issue): ConfigIssue[] => {
        if (issue.code === "invalid_union" && issue.errors.length > 0) {
            const matching = issue.errors.filter((errors) => !errors.some(wrongType));
            if (matching.length === 1)
                return toConfigIssues(matching[0].map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] })));
            if (matching.length === 0) return [{ key: keyOf(issue.path), message: "must be an object or a list of them" }];
        }
        if (issue.code === "unrecognized_keys") {
            const known = issue.message.startsWith(UNKNOWN_KEY_PREFIX) ? issue.message.slice(UNKNOWN_KEY_PREFIX.length).split(", ") : [];
            return issue.keys.map((key) => {
                const near = closest(key, known, Math.max(2, Math.floor(key.length / 4)));
                return {
                    key: keyOf([...issue.path, key]),
                    message: `unknown setting${near ? ` (did you mean ${near}?)` : ""}; expected one of: ${known.join(", ")}`,
                };
            });
        }
        const message = issue.code === "invalid_key" ? issue.issues.map((inner) => inner.message).join("; ") : issue.message;
        return [{ key: keyOf(issue.path), message }];
    });
}

/**
 * Parses Pulumi's config map (keys `redis-ha:<name>`, values as Pulumi stores them: strings, with
 * objects, lists, booleans and numbers as JSON text) into a `StackConfig`, or returns every issue.
 */
export function parseStackConfig(
    raw: Record<string, string>,
    stackName = "dev",
    options: ParseOptions = {},
): { config?: StackConfig; issues: ConfigIssue[] } {
    const issues: ConfigIssue[] = [];
    const input: Record<string, unknown> = {};
    for (const [fullKey, text] of Object.entries(raw)) {
        const colon = fullKey.indexOf(":");
        const [namespace, key] = [fullKey.slice(0, colon), fullKey.slice(colon + 1)];
        if (namespace === PROJECT) {
            input[key] = TEXT_KEYS.has(key) ? text : decode(text);
        } else if (colon > 0 && nearProject(namespace)) {
            issues.push({
                key: fullKey,
                message: `namespace "${namespace}" is almost "${PROJECT}", a likely typo; did you mean ${PROJECT}:${key}?`,
            });
        } // other packages' settings (aws:region, kubernetes:...) are not ours to judge
    }

    const { secretKeys } = options;
    const isSecret = typeof secretKeys === "function" ? secretKeys : secretKeys && ((key: string) => secretKeys.includes(key));
    for (const name of SECRET_KEYS) {
        const key = `${PROJECT}:${name}`;
        if (isSecret && raw[key] !== undefined && !isSecret(key)) {
            const file = name === "sshPrivateKey" ? "key.pem" : "~/.kube/config";
            issues.push({
                key,
                message: `is stored in plain text; store it encrypted instead: pulumi config set --secret ${key} < ${file}`,
            });
        }
    }

    const result = stackConfigSchema(stackName).safeParse(input, { error: errorMap });
    const seen = new Set<string>();
    for (const issue of result.success ? [] : toConfigIssues(result.error.issues)) {
        const id = `${issue.key}\n${issue.message}`;
        if (!seen.has(id)) {
            issues.push(issue);
            seen.add(id);
        }
    }
    return issues.length > 0 || !result.success ? { issues } : { config: result.data, issues: [] };
}

/** Like `parseStackConfig`, but throws a `ConfigError` listing every issue. */
export function parseStackConfigOrThrow(raw: Record<string, string>, stackName?: string, options?: ParseOptions): StackConfig {
    const { config, issues } = parseStackConfig(raw, stackName, options);
    if (!config) {
        throw new ConfigError(issues);
    }
    return config;
}
