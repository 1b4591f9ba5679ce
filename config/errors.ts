// How configuration problems are reported: each with the full key that holds it.

/** One thing wrong with the configuration. */
export interface ConfigIssue {
    /** Full config key, e.g. `redis-ha:instances.auth.redis.maxmemory` or `redis-ha:appEnv[4].instance`. */
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
