// Building blocks of the config schema: every message a user can see is written here or in
// facts/patterns.ts, so the schema stays the one place that says what is accepted and why.

import { z } from "zod";
import { labelKeyProblem, labelValueProblem, parseQuantity, quantityProblem } from "../../facts/patterns";

/** Marks the message of an unknown key; `toConfigIssues` splits it into one issue per key. */
export const UNKNOWN_KEY_PREFIX = "unknown setting; expected one of: ";

/** How a value reads in a message. */
export function describe(value: unknown): string {
    if (value === null) return "null";
    if (Array.isArray(value)) return "a list";
    return typeof value === "object" ? "an object" : `${typeof value} ${JSON.stringify(value)}`;
}

const EXPECTED: Record<string, string> = {
    string: "a non-empty string",
    number: "a number",
    boolean: "true or false",
    object: "an object",
    array: "a list",
    record: "an object",
};

/** The messages of zod's own checks, passed to every parse. */
export const errorMap: z.core.$ZodErrorMap = (issue) => {
    switch (issue.code) {
        case "invalid_type": {
            const expected = EXPECTED[issue.expected] ?? issue.expected;
            return issue.input === undefined ? `is required (${expected})` : `must be ${expected}, got ${describe(issue.input)}`;
        }
        case "invalid_value":
            return `must be one of ${issue.values.map(String).join(", ")}; got ${describe(issue.input)}`;
        default:
            return undefined;
    }
};

/** An object whose keys are all known: a misspelt key is an error, never silently ignored. */
export function strict<S extends z.ZodRawShape>(shape: S) {
    const known = Object.keys(shape).join(", ");
    return z.strictObject(shape, { error: (issue) => (issue.code === "unrecognized_keys" ? `${UNKNOWN_KEY_PREFIX}${known}` : undefined) });
}

/** A non-empty string that satisfies `problem` (a grammar from facts/patterns); the grammar's reason is the message. */
export function grammar(problem?: (value: string) => string | undefined, required?: string) {
    return z.string({ error: (issue) => (required && issue.input === undefined ? required : undefined) }).superRefine((value, ctx) => {
        const why = value.trim() === "" ? "must be a non-empty string" : problem?.(value);
        if (why) ctx.addIssue({ code: "custom", message: why.startsWith("must") ? why : `${JSON.stringify(value)} ${why}` });
    });
}

/** A non-empty string matching `pattern`, with `why` explaining the form. */
export function matching(pattern: RegExp, why: string, required?: string) {
    return grammar((value) => (pattern.test(value) ? undefined : why), required);
}

/** A whole number within [min, max]. */
export function int(min: number, max = Number.MAX_SAFE_INTEGER, required?: string) {
    return z.number({ error: (issue) => (required && issue.input === undefined ? required : undefined) }).superRefine((value, ctx) => {
        const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `between ${min} and ${max}`;
        if (!Number.isInteger(value)) ctx.addIssue({ code: "custom", message: `must be a whole number, got ${value}` });
        else if (value < min || value > max) ctx.addIssue({ code: "custom", message: `must be ${range}, got ${value}` });
    });
}

/** Always run an object's cross-field rule, even when some fields failed: every problem is reported at once. */
export const ALWAYS = { when: () => true };

/** Reads `value[key]` of a possibly invalid object without trusting its shape. */
export function field(value: unknown, ...path: Array<string | number>): unknown {
    let node = value;
    for (const step of path)
        node = node !== null && typeof node === "object" ? (node as Record<string | number, unknown>)[step] : undefined;
    return node;
}

/** A quantity as Kubernetes reads it; YAML numbers (`cpu: 1`) are kept as their text. */
function quantity(what: "cpu" | "memory") {
    return z
        .union([z.string(), z.number()], {
            error: () => `must be a Kubernetes ${what} quantity (e.g. ${what === "cpu" ? "300m or 0.5" : "512Mi"})`,
        })
        .transform((value) => String(value))
        .superRefine((value, ctx) => {
            const why = quantityProblem(value, what);
            if (why) ctx.addIssue({ code: "custom", message: `${JSON.stringify(value)} ${why}` });
        });
}

const quantities = strict({ cpu: quantity("cpu").optional(), memory: quantity("memory").optional() });

/** Container requests and limits; a request above its limit is refused, as the API server would. */
export const resourcesSchema = strict({ requests: quantities.optional(), limits: quantities.optional() }).superRefine((resources, ctx) => {
    for (const what of ["cpu", "memory"] as const) {
        const request = field(resources, "requests", what);
        const limit = field(resources, "limits", what);
        if (typeof request !== "string" || typeof limit !== "string") continue;
        if (quantityProblem(request, what) || quantityProblem(limit, what)) continue;
        if ((parseQuantity(request) ?? 0) > (parseQuantity(limit) ?? Infinity)) {
            ctx.addIssue({
                code: "custom",
                path: ["requests", what],
                message: `${request} is more than the limit ${limit}; Kubernetes refuses requests above limits`,
            });
        }
    }
}, ALWAYS);

/** Kubernetes taint effects. */
export const TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"] as const;

/** A label, taint or selector key. */
export const labelKey = () => grammar(labelKeyProblem);
/** A label, taint or selector value; may be empty. */
export const labelValue = () =>
    z.string().superRefine((value, ctx) => {
        const why = labelValueProblem(value);
        if (why) ctx.addIssue({ code: "custom", message: `${JSON.stringify(value)} ${why}` });
    });
/** Labels or a node selector. */
export const labelMap = () => z.record(labelKey(), labelValue());
