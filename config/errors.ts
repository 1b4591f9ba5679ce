// How configuration problems are reported: each with the full key that holds it.

import { RunError } from "@pulumi/pulumi/errors";

/** One thing wrong with the configuration. */
export interface ConfigIssue {
    /** Full config key, e.g. `redis-ha:instances.auth.redis.maxmemory` or `redis-ha:appEnv[4].instance`. */
    key: string;
    /** Why the value is rejected. */
    message: string;
}

/**
 * Thrown when a stack's configuration is invalid; carries every problem found. A RunError, so
 * `pulumi up` and `preview` print its message alone, with no stack trace (@pulumi/pulumi
 * cmd/run/run.ts, the uncaught-error handler: "Always hide the stack for RunErrors").
 */
export class ConfigError extends RunError {
    constructor(readonly issues: ConfigIssue[]) {
        super(
            `Invalid stack configuration (${issues.length} problem${issues.length === 1 ? "" : "s"}):\n` +
                issues.map((issue) => `  - ${issue.key}: ${issue.message}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}
