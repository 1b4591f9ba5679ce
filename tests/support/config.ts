// Asserting what the config parser accepts and refuses, by key and reason.

import * as assert from "assert";
import { parseStackConfig } from "../../config/parse";

export const INSTANCES = "redis-ha:instances";
export const APP_ENV = "redis-ha:appEnv";

export function issues(config: Record<string, string>) {
    return parseStackConfig(config).issues;
}

export function assertAccepted(config: Record<string, string>) {
    const found = issues(config);
    assert.deepStrictEqual(found, [], `expected no issues, got ${JSON.stringify(found)}`);
}

export function assertRejected(config: Record<string, string>, key: string, why: RegExp) {
    const found = issues(config);
    const match = found.find((issue) => issue.key === key);
    assert.ok(match, `expected an issue at ${key}, got ${JSON.stringify(found)}`);
    assert.match(match.message, why);
    assert.strictEqual(parseStackConfig(config).config, undefined, "an invalid config must yield no config");
}
