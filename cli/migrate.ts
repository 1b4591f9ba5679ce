// `npm run migrate`: moving a standalone Redis into a group started with `bootstrapFrom` (README
// "Moving a Redis in"). Three steps: `prepare` lets the source accept the group's password,
// `status` says whether every pod has caught up with the source, `cutover` stops writes to the
// source, waits for the pods to hold all of them, promotes one pod and fences the source.

import { MASTER_NAME } from "../facts/operator";
import { Endpoint, formatEndpoint, parseEndpoint, parseInfo, withConnection } from "../health/connection";
import { caughtUp, followerState, formatKeys, sentinelsInQuorum, sourceState, SourceState } from "../health/migration";
import { openTarget } from "../health/reach";
import { kubeReachOf, runCommand, UsageError, wholeNumber } from "./command";

const USAGE = `usage: npm run migrate -- prepare|status|cutover --source HOST:PORT
         (--redis HOST:PORT,... [--sentinel HOST:PORT,...] | [--kubeconfig FILE] --namespace NS --name NAME)
         [--wait SECONDS] [--pause-seconds N] [--password-env VAR] [--source-password-env VAR]

Moves a Redis into a group whose RedisFailover has bootstrapFrom (README "Moving a Redis in").
  prepare   the source also accepts the group's password (ACL SETUSER default >...), its own kept
  status    whether every pod of the group has caught up with the source and every sentinel is in
            quorum (exit 0) or not (exit 1); with --wait, asks again every 2 s for up to SECONDS
  cutover   run after bootstrapFrom is removed: pauses writes on the source, waits until every pod
            holds them, promotes the first pod, points the others and the sentinels at it, and
            makes the source refuse writes (NOREPLICAS) before it lets the paused writes go on
  --redis, --sentinel   the group's pods, reached directly; or --namespace and --name of the
                        RedisFailover, reached through the Kubernetes API (port-forwards)
  --password-env        variable holding the group's password (default REDIS_PASSWORD)
  --source-password-env variable holding the source's password (default SOURCE_REDIS_PASSWORD; none if unset)
Exit status: 0 done, 1 refused or not caught up (why printed), 2 bad usage.`;

const TIMEOUT_MS = 5000;
/** A number of replicas no source has: min-replicas-to-write above it refuses every write. */
const FENCE_REPLICAS = 1_000_000;

interface GroupServers {
    /** The redis pods: where Sentinel and the pods name them, and where this process connects. */
    redis: Array<{ address: Endpoint; local: Endpoint }>;
    sentinels: Endpoint[];
    close: () => Promise<void>;
}

async function groupServers(
    flags: { namespace?: string; name?: string; kubeconfig?: string; redis?: string; sentinel?: string },
    password: string,
): Promise<GroupServers> {
    const list = (text: unknown) =>
        String(text ?? "")
            .split(",")
            .filter(Boolean)
            .map(parseEndpoint);
    const kubernetes = kubeReachOf(flags);
    if (!kubernetes) {
        const redis = list(flags.redis).map((address) => ({ address, local: address }));
        if (redis.length === 0) throw new UsageError("--redis or --namespace and --name is required");
        return { redis, sentinels: list(flags.sentinel), close: async () => undefined };
    }
    const target = await openTarget({ kubernetes }, password);
    const round = await target.round({ masterName: MASTER_NAME, maxmemoryPolicy: "", redisCount: 0, sentinelCount: 0 });
    const members = round.target.membership?.members ?? [];
    const dial = round.target.dial ?? ((endpoint: Endpoint) => endpoint);
    const redis = await Promise.all(
        members
            .filter((member) => member.component === "redis")
            .map(async (member) => ({ address: member.address, local: member.local ?? (await dial(member.address)) })),
    );
    // The round's sentinels are the forwarded local ports already (health/kubernetes.ts forwardedTarget).
    const sentinels = round.target.sentinels;
    if (redis.length === 0) throw new Error(`no redis pod of ${String(flags.namespace)}/${String(flags.name)} is running`);
    return { redis, sentinels, close: () => target.close() };
}

const ask = <T>(endpoint: Endpoint, password: string | undefined, use: (client: import("ioredis").Redis) => Promise<T>) =>
    withConnection(endpoint, { password, timeoutMs: TIMEOUT_MS }, use);

async function readSource(source: Endpoint, password: string | undefined): Promise<SourceState> {
    return ask(source, password, async (client) => sourceState(await client.info("replication"), await client.info("keyspace")));
}

async function readGroup(group: GroupServers, password: string) {
    return Promise.all(
        group.redis.map(({ address, local }) =>
            ask(local, password, async (client) =>
                followerState(formatEndpoint(address), await client.info("replication"), await client.info("keyspace")),
            ),
        ),
    );
}

async function askQuorum(group: GroupServers) {
    return sentinelsInQuorum(
        await Promise.all(
            group.sentinels.map(async (sentinel) => ({
                name: formatEndpoint(sentinel),
                reply: await ask(sentinel, undefined, (client) => client.call("SENTINEL", "CKQUORUM", MASTER_NAME)).then(
                    (reply) => String(reply),
                    (error: Error) => error.message,
                ),
            })),
        ),
    );
}

/**
 * Asks until caught up (and, with `quorum`, the sentinels in quorum) or `waitMs` is over; prints
 * the lines every 10 s while waiting.
 */
async function waitCaughtUp(
    source: Endpoint,
    group: GroupServers,
    passwords: { group: string; source?: string },
    waitMs: number,
    quorum = false,
) {
    const started = Date.now();
    let printed = 0;
    for (;;) {
        const state = await readSource(source, passwords.source);
        const pods = caughtUp(state, await readGroup(group, passwords.group));
        const sentinels = quorum ? await askQuorum(group) : { ok: true, lines: [] };
        const judged = { ok: pods.ok && sentinels.ok, lines: [...pods.lines, ...sentinels.lines] };
        const waited = Date.now() - started;
        if (judged.ok || waited >= waitMs) return { ...judged, source: state };
        if (waited - printed >= 10_000) {
            printed = waited;
            console.log(`migrate: waiting (${Math.round(waited / 1000)} s): ${judged.lines.join("; ")}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 2000));
    }
}

async function prepare(source: Endpoint, passwords: { group: string; source?: string }): Promise<number> {
    return ask(source, passwords.source, async (client) => {
        const version = parseInfo(await client.info("server")).redis_version ?? "0";
        const [major, minor] = version.split(".").map(Number);
        // CLIENT PAUSE ... WRITE (the cut-over) is Redis 6.2's; several passwords per user are 6.0's ACLs.
        if (major < 6 || (major === 6 && minor < 2)) {
            console.error(`migrate: the source runs Redis ${version}; moving it in needs 6.2 or later (CLIENT PAUSE WRITE)`);
            return 1;
        }
        const user = (await client.call("ACL", "GETUSER", "default")) as unknown[];
        const flags = (user[user.indexOf("flags") + 1] as string[]) ?? [];
        if (flags.includes("nopass")) {
            console.error(
                "migrate: the source's default user takes no password, and the group's pods authenticate to it with theirs " +
                    "(masterauth), which such a server refuses; give the source a password (and its applications) first",
            );
            return 1;
        }
        await client.call("ACL", "SETUSER", "default", "on", `>${passwords.group}`);
        await ask(source, passwords.group, (check) => check.ping());
        console.log(
            `migrate: ${formatEndpoint(source)} (Redis ${version}) accepts the group's password beside its own ` +
                "(until it restarts: not written to its config)",
        );
        return 0;
    });
}

async function cutover(source: Endpoint, group: GroupServers, passwords: { group: string; source?: string }, pauseMs: number) {
    const before = caughtUp(await readSource(source, passwords.source), await readGroup(group, passwords.group));
    if (before.lines.some((line) => /not a replica|does not follow|full sync/.test(line))) {
        console.error(`migrate: not every pod follows the source; nothing changed:\n  ${before.lines.join("\n  ")}`);
        return 1;
    }
    const started = Date.now();
    await ask(source, passwords.source, (client) => client.call("CLIENT", "PAUSE", String(pauseMs), "WRITE"));
    console.log(`migrate: writes to the source paused (at most ${pauseMs / 1000} s)`);
    const judged = await waitCaughtUp(source, group, passwords, pauseMs / 2);
    if (!judged.ok) {
        await ask(source, passwords.source, (client) => client.call("CLIENT", "UNPAUSE"));
        console.error(`migrate: the pods did not catch up while writes were paused; nothing changed:\n  ${judged.lines.join("\n  ")}`);
        return 1;
    }
    const [promoted, ...others] = group.redis;
    await ask(promoted.local, passwords.group, (client) => client.call("REPLICAOF", "NO", "ONE"));
    for (const pod of others) {
        await ask(pod.local, passwords.group, (client) => client.call("REPLICAOF", promoted.address.host, String(promoted.address.port)));
    }
    // As the operator's NewSentinelMonitor does (service/redis/client.go MonitorRedisWithPort), keeping
    // the timings its customConfig set, which REMOVE forgets until its next pass.
    const quorum = String(Math.floor(group.sentinels.length / 2) + 1);
    for (const sentinel of group.sentinels) {
        await ask(sentinel, undefined, async (client) => {
            const kept = await client.call("SENTINEL", "MASTER", MASTER_NAME).then(
                (reply) => reply as string[],
                () => [] as string[],
            );
            const setting = (name: string) => kept[kept.indexOf(name) + 1];
            await client.call("SENTINEL", "REMOVE", MASTER_NAME).catch(() => undefined);
            await client.call("SENTINEL", "MONITOR", MASTER_NAME, promoted.address.host, String(promoted.address.port), quorum);
            await client.call("SENTINEL", "SET", MASTER_NAME, "auth-pass", passwords.group);
            for (const name of ["down-after-milliseconds", "failover-timeout", "parallel-syncs"]) {
                if (kept.includes(name)) await client.call("SENTINEL", "SET", MASTER_NAME, name, setting(name));
            }
        });
    }
    // Fenced before the paused writes go on: each of them is refused (NOREPLICAS), none taken and lost.
    await ask(source, passwords.source, async (client) => {
        await client.call("CONFIG", "SET", "min-replicas-to-write", String(FENCE_REPLICAS));
        await client.call("CLIENT", "UNPAUSE");
    });
    console.log(
        `migrate: ${formatEndpoint(promoted.address)} is the master with ${formatKeys(judged.source.keys)}; ` +
            `${others.length} replica(s) and ${group.sentinels.length} sentinel(s) follow it; ` +
            `the source refuses writes (NOREPLICAS); writes were paused ${Date.now() - started} ms`,
    );
    return 0;
}

const step = process.argv[2];
if (step && !step.startsWith("-")) process.argv.splice(2, 1);

runCommand(
    {
        name: "migrate",
        usage: USAGE,
        options: {
            source: { type: "string" },
            redis: { type: "string" },
            sentinel: { type: "string" },
            namespace: { type: "string" },
            name: { type: "string" },
            kubeconfig: { type: "string" },
            wait: { type: "string" },
            "pause-seconds": { type: "string" },
            "password-env": { type: "string" },
            "source-password-env": { type: "string" },
        },
    },
    async (flags) => {
        if (!["prepare", "status", "cutover"].includes(step ?? "")) throw new UsageError("the first word is prepare, status or cutover");
        if (!flags.source) throw new UsageError("--source HOST:PORT is required");
        const source = parseEndpoint(flags.source);
        const passwordEnv = flags["password-env"] ?? "REDIS_PASSWORD";
        const group = process.env[passwordEnv];
        if (group === undefined) throw new UsageError(`--password-env ${passwordEnv}: no such environment variable`);
        const passwords = { group, source: process.env[flags["source-password-env"] ?? "SOURCE_REDIS_PASSWORD"] || undefined };
        if (step === "prepare") return prepare(source, passwords);
        const servers = await groupServers(flags, group);
        try {
            if (step === "cutover")
                return await cutover(source, servers, passwords, wholeNumber("pause-seconds", flags["pause-seconds"], 10, 2) * 1000);
            const judged = await waitCaughtUp(source, servers, passwords, wholeNumber("wait", flags.wait, 0) * 1000, true);
            console.log(`migrate: the source holds ${formatKeys(judged.source.keys)} at offset ${judged.source.offset}`);
            for (const line of judged.lines) console.log(`  ${line}`);
            console.log(judged.ok ? "migrate: every pod has caught up; the sentinels are in quorum" : "migrate: not caught up");
            return judged.ok ? 0 : 1;
        } finally {
            await servers.close();
        }
    },
);
