// Small typed readers for untrusted config values. Each records a problem against the full
// key it was given and returns undefined, so one pass reports every problem at once.

/** One thing wrong with the configuration. */
export interface ConfigIssue {
    /** Full config key, e.g. `redis-ha:instances.auth.redis.maxmemory`. */
    key: string;
    /** Why the value is rejected. */
    message: string;
}

/** Thrown when a stack's configuration is invalid; carries every problem found. */
export class ConfigError extends Error {
    constructor(readonly issues: ConfigIssue[]) {
        super(
            `Invalid stack configuration (${issues.length} problem${issues.length === 1 ? "" : "s"}):\n` +
                issues.map((issue) => `  - ${issue.key}: ${issue.message}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

/** A plain JSON object as config delivers it. */
export type RawObject = Record<string, unknown>;

function describe(value: unknown): string {
    if (value === null) {
        return "null";
    }
    if (Array.isArray(value)) {
        return "a list";
    }
    return typeof value === "object" ? "an object" : `${typeof value} ${JSON.stringify(value)}`;
}

/** Collects issues while reading values of expected types. */
export class Checker {
    readonly issues: ConfigIssue[] = [];

    /** Records a problem; returns undefined so callers can `return checker.fail(...)`. */
    fail(key: string, message: string): undefined {
        this.issues.push({ key, message });
        return undefined;
    }

    /** An object whose keys must all be among `known`; unknown keys are reported (typos). */
    object(key: string, value: unknown, known: readonly string[]): RawObject | undefined {
        if (typeof value !== "object" || value === null || Array.isArray(value)) {
            return this.fail(key, `must be an object, got ${describe(value)}`);
        }
        for (const field of Object.keys(value)) {
            if (!known.includes(field)) {
                this.fail(`${key}.${field}`, `unknown setting; expected one of: ${known.join(", ")}`);
            }
        }
        return value as RawObject;
    }

    /** An object used as a map: any keys, checked by the caller. */
    map(key: string, value: unknown): RawObject | undefined {
        if (typeof value !== "object" || value === null || Array.isArray(value)) {
            return this.fail(key, `must be an object, got ${describe(value)}`);
        }
        return value as RawObject;
    }

    /** A list. */
    list(key: string, value: unknown): unknown[] | undefined {
        return Array.isArray(value) ? value : this.fail(key, `must be a list, got ${describe(value)}`);
    }

    /** A non-empty string, optionally matching `pattern` (with `why` explaining it). */
    string(key: string, value: unknown, pattern?: RegExp, why?: string): string | undefined {
        if (typeof value !== "string" || value.trim() === "") {
            return this.fail(key, `must be a non-empty string, got ${describe(value)}`);
        }
        if (pattern && !pattern.test(value)) {
            return this.fail(key, `${JSON.stringify(value)} ${why ?? `does not match ${pattern}`}`);
        }
        return value;
    }

    /** One of a fixed set of strings. */
    oneOf<T extends string>(key: string, value: unknown, allowed: readonly T[]): T | undefined {
        if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
            return this.fail(key, `must be one of ${allowed.join(", ")}; got ${describe(value)}`);
        }
        return value as T;
    }

    /** A whole number within [min, max]. */
    integer(key: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
        if (typeof value !== "number" || !Number.isInteger(value)) {
            return this.fail(key, `must be a whole number, got ${describe(value)}`);
        }
        if (value < min || value > max) {
            const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `between ${min} and ${max}`;
            return this.fail(key, `must be ${range}, got ${value}`);
        }
        return value;
    }

    /** true or false. */
    boolean(key: string, value: unknown): boolean | undefined {
        return typeof value === "boolean" ? value : this.fail(key, `must be true or false, got ${describe(value)}`);
    }

    /** A list of non-empty strings. */
    stringList(key: string, value: unknown): string[] | undefined {
        const items = this.list(key, value);
        if (!items) {
            return undefined;
        }
        const strings = items.map((item, index) => this.string(`${key}[${index}]`, item));
        return strings.every((item): item is string => item !== undefined) ? strings : undefined;
    }

    /** A map of string to string (labels, selectors). */
    stringMap(key: string, value: unknown): Record<string, string> | undefined {
        const raw = this.map(key, value);
        if (!raw) {
            return undefined;
        }
        let ok = true;
        for (const [field, item] of Object.entries(raw)) {
            if (typeof item !== "string") {
                this.fail(`${key}.${field}`, `must be a string, got ${describe(item)}`);
                ok = false;
            }
        }
        return ok ? (raw as Record<string, string>) : undefined;
    }
}

/** Returns `fallback` when the value is absent, else the reader's result. */
export function withDefault<T>(value: unknown, fallback: T, read: (value: unknown) => T | undefined): T | undefined {
    return value === undefined ? fallback : read(value);
}
