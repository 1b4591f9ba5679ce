// Applies one phase of a password rotation to a group (render/passwordRotation.ts decides the
// phase's passwords): every redis's `default` user accepts exactly the phase's passwords, every
// redis replicates with its masterauth, every sentinel authenticates with it; then proves it. Each
// step is idempotent, so a phase applied twice, or resumed after a failure, ends the same.

import { Endpoint, errorText, formatEndpoint, parseInfo, Target, withConnection } from "./connection";
import { askSentinel } from "./probes";
import type { TargetSource } from "./reach";
import type { Expectations } from "./rules";

/** The phase's passwords (clear text, never logged). */
export interface PhasePasswords {
    /** What every server must accept, and nothing else. */
    accepted: string[];
    /** masterauth and auth-pass. */
    replication: string;
    /** Every password the group may accept now, tried in turn to connect. */
    known: string[];
}

/** `ACL SETUSER` arguments that make `default` accept exactly `passwords`, in one atomic command. */
export function aclSetUserArgs(passwords: readonly string[]): string[] {
    return ["SETUSER", "default", "on", "resetpass", ...passwords.map((password) => `>${password}`)];
}

/** What was done, per server, for progress and for the record (no password). */
export interface PhaseReport {
    redis: string[];
    sentinels: string[];
}

async function targetOf(source: Target | TargetSource, expected: Expectations): Promise<Target> {
    if (!("round" in source)) return source;
    const round = await source.round(expected);
    if (round.stop !== undefined) throw new Error(`the group cannot be reached: ${round.stop}`);
    return round.target;
}

/** Runs `use` on `address` with the first of `passwords` it accepts. */
async function withAnyPassword<T>(
    address: Endpoint,
    passwords: string[],
    timeoutMs: number,
    use: (client: import("ioredis").Redis) => Promise<T>,
): Promise<T> {
    let last: unknown;
    for (const password of passwords) {
        try {
            return await withConnection(address, { password, timeoutMs }, use);
        } catch (error) {
            last = error;
            if (!/WRONGPASS|invalid password|invalid username-password/i.test(errorText(error))) throw error;
        }
    }
    throw new Error(`${formatEndpoint(address)} accepts none of the rotation's passwords (${errorText(last)})`);
}

/** The group's target, how to dial an address, and every redis Sentinel knows that is not down. */
async function groupServers(source: Target | TargetSource, expected: Expectations, timeoutMs: number) {
    const target = await targetOf(source, expected);
    const dial = (endpoint: Endpoint) => (target.dial ? target.dial(endpoint) : endpoint);
    const views = await Promise.all(target.sentinels.map((endpoint) => askSentinel(endpoint, expected.masterName, timeoutMs)));
    const answering = views.filter((view) => view.masterAddress !== undefined);
    if (answering.length === 0) throw new Error(`no sentinel names master ${expected.masterName}`);
    const master = answering[0].masterAddress!;
    const servers = new Map<string, Endpoint>([[formatEndpoint(master), master]]);
    for (const view of answering) {
        for (const replica of view.replicas ?? []) {
            // A replica Sentinel holds down is not the group's (a pod that moved); one it has just
            // disconnected from is (an auth-pass change drops Sentinel's links), and gets the phase.
            if (!/s_down/.test(replica.flags ?? ""))
                servers.set(`${replica.ip}:${replica.port}`, { host: replica.ip, port: Number(replica.port) });
        }
    }
    if (servers.size !== expected.redisCount) {
        throw new Error(
            `the sentinels know ${servers.size} redis that are not down, of ${expected.redisCount}: ${[...servers.keys()].join(", ")}`,
        );
    }
    return { target, dial, servers };
}

/** When each redis of the group started (epoch ms, from `uptime_in_seconds`), by its address as Sentinel names it. */
export async function serverStarts(
    source: Target | TargetSource,
    expected: Expectations,
    password: string | undefined,
    nowMs: number,
    timeoutMs = 2000,
): Promise<Array<{ name: string; startedAtMs: number }>> {
    const { dial, servers } = await groupServers(source, expected, timeoutMs);
    return Promise.all(
        [...servers].map(async ([name, address]) => {
            const info = await withConnection(await dial(address), { password, timeoutMs }, (client) => client.info("server"));
            return { name, startedAtMs: nowMs - Number(parseInfo(info).uptime_in_seconds) * 1000 };
        }),
    );
}

/**
 * Applies the phase to every redis Sentinel knows (the master and its replicas) and every sentinel
 * of the target, then checks that each redis accepts every accepted password and each replica's
 * link is up. Throws naming the first server that does not; `expected.redisCount` servers must be found.
 */
export async function applyPhasePasswords(
    source: Target | TargetSource,
    expected: Expectations,
    passwords: PhasePasswords,
    timeoutMs = 2000,
): Promise<PhaseReport> {
    const { target, dial, servers } = await groupServers(source, expected, timeoutMs);
    const report: PhaseReport = { redis: [], sentinels: [] };
    // Passwords first (every server accepts the new one before anything uses it), masterauth after.
    for (const [name, address] of servers) {
        await withAnyPassword(await dial(address), passwords.known, timeoutMs, async (client) => {
            await client.call("ACL", ...aclSetUserArgs(passwords.accepted));
            await client.call("CONFIG", "SET", "masterauth", passwords.replication);
        });
        report.redis.push(`${name}: ${passwords.accepted.length} password(s) accepted, masterauth set`);
    }
    for (const sentinel of target.sentinels) {
        await withConnection(sentinel, { timeoutMs }, (client) =>
            client.call("SENTINEL", "SET", expected.masterName, "auth-pass", passwords.replication),
        );
        report.sentinels.push(`${formatEndpoint(sentinel)}: auth-pass set`);
    }
    for (const [name, address] of servers) {
        const reachable = await dial(address);
        for (const [index, password] of passwords.accepted.entries()) {
            const info = await withConnection(reachable, { password, timeoutMs }, (client) => client.info("replication")).catch(
                (error: unknown) => {
                    throw new Error(`${name} refuses accepted password ${index + 1} of ${passwords.accepted.length}: ${errorText(error)}`);
                },
            );
            const replication = parseInfo(info);
            if (replication.role === "slave" && replication.master_link_status !== "up") {
                throw new Error(`${name}: replication link ${replication.master_link_status}`);
            }
        }
    }
    return report;
}
