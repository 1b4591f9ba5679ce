// The shipped stack files as config maps, and ways to change one setting for a test.

import * as path from "path";
import { loadConfig } from "../../config/load";
import { runProgram } from "../../plan/mockRuntime";
import { redisHa } from "../../program/redisHa";
import { answerInvoke, DEFAULT_ACCOUNT, SimulatedAccount } from "../../plan/simulatedAccount";
import { readStackFile } from "../../config/stackFile";
import type { FailoverRenderOptions } from "../../render/failover";
import type { StackConfig } from "../../config/types";

export const PROJECT_DIR = path.resolve(__dirname, "..", "..");

/** How every RedisFailover of a stack is rendered (what index.ts passes, alerts off). */
export function renderOptions(config: StackConfig): FailoverRenderOptions {
    return { namespace: config.namespace, placementLabel: config.placementLabel, exporterImage: config.exporterImage };
}

/** The config map of `Pulumi.<stack>.yaml`, as the program would receive it. */
export function stackConfig(stack: string): Record<string, string> {
    return readStackFile(path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`), "redis-ha").config;
}

/**
 * A copy of `config` with one nested setting changed: `key` is a top-level key (`redis-ha:instances`),
 * `at` the path inside it (`["auth", "redis", "maxmemory"]`); `undefined` deletes the setting.
 */
export function withSetting(
    config: Record<string, string>,
    key: string,
    at: Array<string | number>,
    value: unknown,
): Record<string, string> {
    const copy = { ...config };
    if (at.length === 0) {
        if (value === undefined) {
            delete copy[key];
        } else {
            copy[key] = typeof value === "string" ? value : JSON.stringify(value);
        }
        return copy;
    }
    const root = JSON.parse(copy[key] ?? "{}");
    let node = root;
    for (const step of at.slice(0, -1)) {
        node[step] ??= {};
        node = node[step];
    }
    const last = at[at.length - 1];
    if (value === undefined) {
        delete node[last];
    } else {
        node[last] = value;
    }
    copy[key] = JSON.stringify(root);
    return copy;
}

/** Runs the program under mocks with `config`, AWS look-ups answered by `account`. */
export function runWithConfig(
    stack: string,
    config: Record<string, string>,
    secretKeys: string[] = [],
    account: SimulatedAccount = DEFAULT_ACCOUNT,
) {
    return runProgram({
        stack,
        config,
        secretKeys,
        program: () => redisHa(loadConfig(), stack),
        invoke: (token, inputs) => answerInvoke(account, token, inputs),
    });
}
