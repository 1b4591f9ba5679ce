// Helpers of the tests that run the health checks against real Redis groups.

import * as assert from "assert";
import IORedis from "ioredis";
import { MASTER_NAME } from "../../facts/operator";
import { CheckResult, HealthReport } from "../../health";
import { GroupSpec, LabGroup } from "../../lab/redisLab";

/**
 * A small group with short Sentinel timings and no wait before a replica's first sync: for tests
 * that are not about timings. Override what the test needs.
 */
export function quickSpec(overrides: Partial<GroupSpec> = {}): GroupSpec {
    return {
        name: "auth",
        redisCount: 2,
        sentinelCount: 1,
        password: "lab-password-1",
        maxmemory: "256mb",
        maxmemoryPolicy: "noeviction",
        appendonly: false,
        downAfterMilliseconds: 1000,
        failoverTimeout: 3000,
        replicaSyncDelaySeconds: 0,
        masterName: MASTER_NAME,
        ...overrides,
    };
}

export function check(report: HealthReport, name: CheckResult["name"]): CheckResult {
    const found = report.checks.find((c) => c.name === name);
    assert.ok(found, `no check ${name}`);
    return found;
}

export function failing(report: HealthReport): string[] {
    return report.checks.filter((c) => !c.ok).map((c) => c.name);
}

export async function admin(group: LabGroup, index: number): Promise<IORedis> {
    const client = new IORedis({
        host: "127.0.0.1",
        port: group.redis[index].port,
        password: group.spec.password,
        lazyConnect: true,
        maxRetriesPerRequest: 0,
    });
    await client.connect();
    return client;
}

export async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
    const started = Date.now();
    const value = await work();
    return { value, ms: Date.now() - started };
}

export async function until(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition().catch(() => false))) {
        if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
}
