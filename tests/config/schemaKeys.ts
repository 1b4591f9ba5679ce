// Walks the config schema into its documented keys and literal defaults, for the README check.

import { z } from "zod";
import { resourcesSchema } from "../../config/schema/common";
import { STACK_SHAPE } from "../../config/schema/stack";

/** One documented key: `instances.<p>.redis.maxmemory`, with the schema's literal default if it has one. */
export interface SchemaKey {
    key: string;
    default?: unknown;
}

type Def = {
    type: string;
    innerType?: z.ZodType;
    in?: z.ZodType;
    shape?: Record<string, z.ZodType>;
    valueType?: z.ZodType;
    defaultValue?: unknown;
    options?: z.ZodType[];
};

function walk(schema: z.ZodType, key: string, out: SchemaKey[], found?: { default: unknown }): void {
    const def = schema.def as unknown as Def;
    if (def.type === "default") return walk(def.innerType!, key, out, { default: def.defaultValue });
    if (def.type === "optional" || def.type === "prefault") return walk(def.innerType!, key, out, found);
    if (def.type === "pipe") return walk(def.in!, key, out, found);
    // `nodes.<p>`: one node or a list of them; the table documents the node's keys.
    if (def.type === "union") return walk(def.options![0], key, out, found);
    const shape = def.type === "object" && schema !== resourcesSchema ? def.shape! : undefined;
    if (shape && Object.keys(shape).length > 0) {
        for (const [name, child] of Object.entries(shape)) walk(child, `${key}.${name}`, out);
    } else if (def.type === "record" && (def.valueType!.def as unknown as Def).type !== "string") {
        walk(def.valueType!, `${key}.<p>`, out);
    } else {
        out.push(found ? { key, default: found.default } : { key });
    }
}

/** Every key of the stack schema, depth first, in schema order. */
export function schemaKeys(): SchemaKey[] {
    const out: SchemaKey[] = [];
    for (const [name, schema] of Object.entries(STACK_SHAPE)) walk(schema as z.ZodType, name, out);
    return out;
}

/** How a default is written in the README: non-empty text as is, anything else as JSON. */
export function formatDefault(value: unknown): string {
    return typeof value === "string" && value !== "" ? value : JSON.stringify(value);
}
