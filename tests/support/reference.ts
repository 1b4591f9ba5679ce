// The operator's own data files (CRD schema, chart values) that rendered output is checked against.

import Ajv, { ValidateFunction } from "ajv";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";

/** The upstream CRD and chart files, kept in the repository unchanged (where from: SOURCE.md there). */
export const FIXTURE_DIR = path.resolve(__dirname, "..", "fixtures", "spotahome");

/** The files of FIXTURE_DIR the tests read, each as upstream has it. */
export const FIXTURE_FILES = ["databases.spotahome.com_redisfailovers.yaml", "values.yaml", "Chart.yaml"] as const;

function load(file: (typeof FIXTURE_FILES)[number]): unknown {
    return yaml.loadAll(fs.readFileSync(path.join(FIXTURE_DIR, file), "utf8")).find((doc) => doc);
}

/** A JSON-schema-like node of an OpenAPI v3 schema. */
export interface SchemaNode {
    type?: string;
    properties?: Record<string, SchemaNode>;
    items?: SchemaNode;
    additionalProperties?: boolean | SchemaNode;
    "x-kubernetes-preserve-unknown-fields"?: boolean;
    [keyword: string]: unknown;
}

/** The RedisFailover CRD's `openAPIV3Schema`, version v1. */
export function redisFailoverSchema(): SchemaNode {
    const crd = load("databases.spotahome.com_redisfailovers.yaml") as {
        spec: { versions: Array<{ name: string; schema: { openAPIV3Schema: SchemaNode } }> };
    };
    const v1 = crd.spec.versions.find((version) => version.name === "v1");
    if (!v1) {
        throw new Error("CRD has no v1 version");
    }
    return v1.schema.openAPIV3Schema;
}

/** The CRD's schema and an ajv validator compiled from it, as the API server would check a RedisFailover. */
export function failoverValidator(): { schema: SchemaNode; validate: ValidateFunction } {
    const schema = redisFailoverSchema();
    return { schema, validate: new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(schema) };
}

/** The chart's default values. */
export function chartValues(): Record<string, unknown> {
    return load("values.yaml") as Record<string, unknown>;
}

/** The chart's own description: name, version, appVersion. */
export function chartMetadata(): { name: string; version: string; appVersion: string } {
    return load("Chart.yaml") as { name: string; version: string; appVersion: string };
}

/**
 * Paths in `value` the schema does not declare. The API server prunes such fields silently,
 * so a typo would vanish instead of failing: these must be empty.
 */
export function undeclaredFields(schema: SchemaNode, value: unknown, at = ""): string[] {
    if (schema["x-kubernetes-preserve-unknown-fields"] || value === null || typeof value !== "object") {
        return [];
    }
    if (Array.isArray(value)) {
        return schema.items ? value.flatMap((item, index) => undeclaredFields(schema.items!, item, `${at}[${index}]`)) : [];
    }
    const found: string[] = [];
    for (const [key, item] of Object.entries(value)) {
        const child =
            schema.properties?.[key] ?? (typeof schema.additionalProperties === "object" ? schema.additionalProperties : undefined);
        if (child) {
            found.push(...undeclaredFields(child, item, `${at}.${key}`));
        } else if (schema.properties && !schema.additionalProperties) {
            found.push(`${at}.${key}`);
        }
    }
    return found;
}

/** Dotted paths of every leaf of a values object (`image.tag`); lists and empty objects are leaves. */
export function valuePaths(value: unknown, at = ""): string[] {
    if (value === null || typeof value !== "object" || Array.isArray(value) || Object.keys(value).length === 0) {
        return [at];
    }
    return Object.entries(value).flatMap(([key, item]) => valuePaths(item, at ? `${at}.${key}` : key));
}
