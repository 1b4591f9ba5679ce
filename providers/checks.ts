// Health checks of one Redis + Sentinel group, as deployed: asks every sentinel and every redis
// what it believes and compares that with what was asked for. Every network call has its own
// deadline: a server that accepts TCP and never answers must not hang the check.
//
// Written to survive Pulumi's function serialization (the dynamic provider runs these functions in
// another process): modules are required inside functions and no client outlives a call.

/** A host and port. */
export interface Endpoint {
    /** Host name or address. */
    host: string;
    /** TCP port. */
    port: number;
}

/** What the group must look like. */
export interface Expectations {
    /** Sentinel's name for the master (`mymaster`). */
    masterName: string;
    /** `maxmemory-policy` every redis must have. */
    maxmemoryPolicy: string;
    /** `maxmemory` in bytes every redis must have; unchecked when absent. */
    maxmemoryBytes?: number;
    /** Redis servers: one master plus replicas. */
    redisCount: number;
    /** Sentinels. */
    sentinelCount: number;
    /** Replication lag, in seconds, above which a replica is reported. */
    maxLagSeconds?: number;
}

/** How to reach the group. */
export interface Target {
    /** Sentinel addresses. */
    sentinels: Endpoint[];
    /** Redis password (AUTH); none when absent. */
    password?: string;
    /** Deadline of each network call, in milliseconds. */
    probeTimeoutMs?: number;
    /**
     * Maps an address as the sentinels report it (a pod IP, say) to one this process can connect
     * to (a forwarded local port). Identity when absent.
     */
    dial?: (endpoint: Endpoint) => Endpoint | Promise<Endpoint>;
}

/** The checks, in the order they are reported. */
export const CHECK_NAMES = [
    "sentinels-reachable",
    "master-known",
    "sentinels-agree",
    "master-up",
    "quorum",
    "sentinel-count",
    "replica-count",
    "redis-reachable",
    "single-master",
    "replication",
    "maxmemory-policy",
    "maxmemory",
    "write-probe",
] as const;

/** One check's outcome. */
export interface CheckResult {
    /** Which check. */
    name: (typeof CHECK_NAMES)[number];
    /** Whether it holds. */
    ok: boolean;
    /** What was seen. */
    detail: string;
}

/** The outcome of one round of checks. Holds no secret. */
export interface HealthReport {
    /** Every check holds. */
    healthy: boolean;
    /** The master the sentinels name, `host:port`, when they agree. */
    master?: string;
    /** Every check, in `CHECK_NAMES` order. */
    checks: CheckResult[];
    /** How long the round took. */
    durationMs: number;
}

const DEFAULT_PROBE_TIMEOUT_MS = 1000;
const DEFAULT_MAX_LAG_SECONDS = 5;

/** Parses `host:port`. */
export function parseEndpoint(text: string): Endpoint {
    const at = text.lastIndexOf(":");
    const port = Number(text.slice(at + 1));
    if (at <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
        throw new Error(`"${text}" is not host:port`);
    }
    return { host: text.slice(0, at), port };
}

function label(endpoint: Endpoint): string {
    return `${endpoint.host}:${endpoint.port}`;
}

/** Rejects with `what` timed out after `ms`, unless `promise` settles first. */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A connected client for the duration of `use`; every command bounded, no reconnects, no queueing. */
export async function withConnection<T>(
    endpoint: Endpoint,
    options: { password?: string; timeoutMs: number },
    use: (client: import("ioredis").Redis) => Promise<T>,
): Promise<T> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const IORedis = require("ioredis") as typeof import("ioredis").default;
    const client = new IORedis({
        host: endpoint.host,
        port: endpoint.port,
        lazyConnect: true,
        connectTimeout: options.timeoutMs,
        commandTimeout: options.timeoutMs,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
        enableOfflineQueue: false,
        enableReadyCheck: false,
    });
    // ioredis reports a refused or reset connection as "Connection is closed"; keep the cause.
    let cause: Error | undefined;
    client.on("error", (error: Error) => {
        cause = error;
    });
    try {
        // The outer deadline covers what ioredis's own timeouts do not (a silent peer mid-handshake).
        // AUTH is sent by hand: ioredis's own handshake turns a wrong password into a closed stream.
        const session = async () => {
            await client.connect();
            if (options.password !== undefined) {
                await client.auth(options.password);
            }
            return use(client);
        };
        return await withDeadline(session(), options.timeoutMs * 3, label(endpoint));
    } catch (error) {
        if (cause && /Connection is closed/.test(errorText(error))) {
            throw new Error(`${errorText(error)} (${cause.message})`);
        }
        throw error;
    } finally {
        client.disconnect();
    }
}

/** `[k1, v1, k2, v2...]` as Sentinel answers, as an object. */
export function pairs(reply: unknown): Record<string, string> {
    const list = Array.isArray(reply) ? (reply as string[]) : [];
    const out: Record<string, string> = {};
    for (let i = 0; i + 1 < list.length; i += 2) {
        out[list[i]] = list[i + 1];
    }
    return out;
}

/** `INFO` text as key/value pairs. */
export function parseInfo(text: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const line of text.split(/\r?\n/)) {
        const at = line.indexOf(":");
        if (at > 0 && !line.startsWith("#")) {
            out[line.slice(0, at)] = line.slice(at + 1).trim();
        }
    }
    return out;
}

function hasFlag(flags: string | undefined, ...wanted: string[]): boolean {
    const set = new Set((flags ?? "").split(","));
    return wanted.some((flag) => set.has(flag));
}

function errorText(error: unknown): string {
    return error instanceof Error ? error.message : String(error);
}

interface SentinelView {
    endpoint: Endpoint;
    error?: string;
    masterAddress?: Endpoint;
    master?: Record<string, string>;
    quorum?: string;
    replicas?: Array<Record<string, string>>;
    sentinels?: Array<Record<string, string>>;
}

async function askSentinel(endpoint: Endpoint, masterName: string, timeoutMs: number): Promise<SentinelView> {
    try {
        return await withConnection(endpoint, { timeoutMs }, async (client) => {
            await client.ping();
            const address = (await client.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName)) as [string, string] | null;
            if (!address) {
                return { endpoint };
            }
            const [master, replicas, sentinels, quorum] = await Promise.all([
                client.call("SENTINEL", "MASTER", masterName),
                client.call("SENTINEL", "REPLICAS", masterName),
                client.call("SENTINEL", "SENTINELS", masterName),
                client.call("SENTINEL", "CKQUORUM", masterName).then(String, (error: unknown) => errorText(error)),
            ]);
            return {
                endpoint,
                masterAddress: { host: address[0], port: Number(address[1]) },
                master: pairs(master),
                replicas: (replicas as unknown[]).map(pairs),
                sentinels: (sentinels as unknown[]).map(pairs),
                quorum,
            };
        });
    } catch (error) {
        return { endpoint, error: errorText(error) };
    }
}

interface RedisView {
    address: Endpoint;
    error?: string;
    replication?: Record<string, string>;
    policy?: string;
    maxmemory?: number;
}

async function askRedis(address: Endpoint, target: Target, timeoutMs: number): Promise<RedisView> {
    try {
        const reachable = target.dial ? await target.dial(address) : address;
        return await withConnection(reachable, { password: target.password, timeoutMs }, async (client) => {
            const [info, policy, maxmemory] = await Promise.all([
                client.info("replication"),
                client.config("GET", "maxmemory-policy") as Promise<string[]>,
                client.config("GET", "maxmemory") as Promise<string[]>,
            ]);
            return { address, replication: parseInfo(info), policy: policy[1], maxmemory: Number(maxmemory[1]) };
        });
    } catch (error) {
        return { address, error: errorText(error) };
    }
}

async function writeProbe(master: Endpoint, target: Target, timeoutMs: number): Promise<string | undefined> {
    try {
        const reachable = target.dial ? await target.dial(master) : master;
        return await withConnection(reachable, { password: target.password, timeoutMs }, async (client) => {
            const key = `redis-ha:verify:${process.pid}:${Date.now()}`;
            await client.set(key, "probe", "PX", 10_000);
            const read = await client.get(key);
            await client.del(key);
            return read === "probe" ? undefined : `read back ${JSON.stringify(read)} instead of "probe"`;
        });
    } catch (error) {
        return errorText(error);
    }
}

/** Runs every check once and reports what holds and what does not. */
export async function checkOnce(target: Target, expected: Expectations): Promise<HealthReport> {
    const started = Date.now();
    const timeoutMs = target.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
    const maxLag = expected.maxLagSeconds ?? DEFAULT_MAX_LAG_SECONDS;
    const checks: CheckResult[] = [];
    const add = (name: CheckResult["name"], ok: boolean, detail: string) => checks.push({ name, ok, detail });
    const skipped = (reason: string) => {
        for (const name of CHECK_NAMES) {
            if (!checks.some((check) => check.name === name)) add(name, false, `not checked: ${reason}`);
        }
    };

    const views = await Promise.all(target.sentinels.map((endpoint) => askSentinel(endpoint, expected.masterName, timeoutMs)));
    const answering = views.filter((view) => !view.error);
    const silent = views.filter((view) => view.error);
    add(
        "sentinels-reachable",
        silent.length === 0 && views.length > 0,
        silent.length ? `${answering.length}/${views.length} answer; ${silent.map((v) => `${label(v.endpoint)}: ${v.error}`).join("; ")}` : `${views.length}/${views.length} answer`,
    );
    if (answering.length === 0) {
        skipped("no sentinel answers");
        return { healthy: false, checks, durationMs: Date.now() - started };
    }

    const knowing = answering.filter((view) => view.masterAddress);
    const unknowing = answering.filter((view) => !view.masterAddress);
    add(
        "master-known",
        unknowing.length === 0,
        unknowing.length ? `${unknowing.map((v) => label(v.endpoint)).join(", ")} know no master named "${expected.masterName}"` : `all name a master "${expected.masterName}"`,
    );
    if (knowing.length === 0) {
        skipped(`no sentinel knows "${expected.masterName}"`);
        return { healthy: false, checks, durationMs: Date.now() - started };
    }

    const named = [...new Set(knowing.map((view) => label(view.masterAddress!)))];
    add("sentinels-agree", named.length === 1, named.length === 1 ? `master ${named[0]}` : `sentinels name different masters: ${named.join(", ")}`);
    const masterAddress = knowing[0].masterAddress!;

    const down = knowing.filter((view) => hasFlag(view.master?.flags, "s_down", "o_down"));
    add("master-up", down.length === 0, down.length ? `master flagged down (${down.map((v) => `${label(v.endpoint)}: ${v.master?.flags}`).join("; ")})` : `no sentinel flags it down`);

    const noQuorum = knowing.filter((view) => !String(view.quorum).startsWith("OK"));
    add("quorum", noQuorum.length === 0, noQuorum.length ? noQuorum.map((v) => `${label(v.endpoint)}: ${v.quorum}`).join("; ") : "CKQUORUM OK on every sentinel");

    const sentinelCounts = knowing.map((view) => 1 + (view.sentinels ?? []).filter((s) => !hasFlag(s.flags, "s_down", "o_down", "disconnected")).length);
    const sentinelsOk = answering.length === expected.sentinelCount && sentinelCounts.every((count) => count === expected.sentinelCount);
    add(
        "sentinel-count",
        sentinelsOk,
        `expected ${expected.sentinelCount}; ${answering.length} answer; each sees ${sentinelCounts.join("/")} healthy sentinels (itself included)`,
    );

    // A replica counts only if its flags are clean and its link to the master is up: num-slaves and
    // CKQUORUM stay happy with unreachable replicas.
    const healthyReplicas = knowing.map((view) => (view.replicas ?? []).filter((r) => !hasFlag(r.flags, "s_down", "o_down", "disconnected") && r["master-link-status"] === "ok"));
    const replicaCounts = healthyReplicas.map((list) => list.length);
    const badReplicas = knowing.flatMap((view) =>
        (view.replicas ?? []).filter((r) => hasFlag(r.flags, "s_down", "o_down", "disconnected") || r["master-link-status"] !== "ok").map((r) => `${r.ip}:${r.port} (${r.flags}, link ${r["master-link-status"]})`),
    );
    add(
        "replica-count",
        replicaCounts.every((count) => count === expected.redisCount - 1),
        `expected ${expected.redisCount - 1} healthy replicas; sentinels see ${replicaCounts.join("/")}` + (badReplicas.length ? `; unhealthy: ${[...new Set(badReplicas)].join(", ")}` : ""),
    );

    // Every redis any sentinel knows of: the master and all replicas.
    const addresses = new Map<string, Endpoint>([[label(masterAddress), masterAddress]]);
    for (const view of knowing) {
        for (const replica of view.replicas ?? []) {
            const endpoint = { host: replica.ip, port: Number(replica.port) };
            addresses.set(label(endpoint), endpoint);
        }
    }
    const redis = await Promise.all([...addresses.values()].map((address) => askRedis(address, target, timeoutMs)));
    const unreachable = redis.filter((view) => view.error);
    add(
        "redis-reachable",
        unreachable.length === 0,
        unreachable.length
            ? unreachable.map((v) => `${label(v.address)}: ${/WRONGPASS|NOAUTH|invalid password/i.test(v.error ?? "") ? `authentication failed (${v.error})` : v.error}`).join("; ")
            : `${redis.length}/${redis.length} answer`,
    );
    const reached = redis.filter((view) => !view.error);

    const masters = reached.filter((view) => view.replication?.role === "master");
    const masterView = reached.find((view) => label(view.address) === label(masterAddress));
    const sentinelMasterIsMaster = !masterView || masterView.replication?.role === "master";
    add(
        "single-master",
        masters.length === 1 && sentinelMasterIsMaster,
        masters.length > 1
            ? `split brain: ${masters.length} servers report role:master (${masters.map((v) => label(v.address)).join(", ")})`
            : masters.length === 0
              ? "no server reports role:master"
              : sentinelMasterIsMaster
                ? `${label(masters[0].address)} is the only master`
                : `sentinels name ${label(masterAddress)}, which reports role:${masterView?.replication?.role}`,
    );

    const replicationProblems: string[] = [];
    if (masterView?.replication) {
        const info = masterView.replication;
        const online = Object.keys(info).filter((key) => /^slave\d+$/.test(key) && /state=online/.test(info[key]));
        if (online.length !== expected.redisCount - 1) {
            replicationProblems.push(`master has ${online.length} online replicas, expected ${expected.redisCount - 1}`);
        }
        for (const key of online) {
            const lag = Number(/lag=(\d+)/.exec(info[key])?.[1] ?? 0);
            if (lag > maxLag) replicationProblems.push(`${info[key].split(",").slice(0, 2).join(":").replace(/ip=|port=/g, "")} lags ${lag}s`);
        }
    } else {
        replicationProblems.push(`master ${label(masterAddress)} did not answer`);
    }
    for (const view of reached.filter((v) => v.replication?.role === "slave")) {
        if (view.replication?.master_link_status !== "up") {
            replicationProblems.push(`${label(view.address)} master_link_status:${view.replication?.master_link_status}`);
        }
    }
    add("replication", replicationProblems.length === 0, replicationProblems.length ? replicationProblems.join("; ") : `every replica linked, lag <= ${maxLag}s`);

    if (reached.length === 0) {
        skipped("no redis answers");
        return { healthy: false, master: named.length === 1 ? named[0] : undefined, checks, durationMs: Date.now() - started };
    }
    const wrongPolicy = reached.filter((view) => view.policy !== expected.maxmemoryPolicy);
    add(
        "maxmemory-policy",
        wrongPolicy.length === 0,
        wrongPolicy.length ? `expected ${expected.maxmemoryPolicy}; ${wrongPolicy.map((v) => `${label(v.address)} has ${v.policy}`).join("; ")}` : `${expected.maxmemoryPolicy} on ${reached.length} servers`,
    );
    if (expected.maxmemoryBytes === undefined) {
        add("maxmemory", true, "not asked for");
    } else {
        const wrongSize = reached.filter((view) => view.maxmemory !== expected.maxmemoryBytes);
        add(
            "maxmemory",
            wrongSize.length === 0,
            wrongSize.length ? `expected ${expected.maxmemoryBytes} bytes; ${wrongSize.map((v) => `${label(v.address)} has ${v.maxmemory}`).join("; ")}` : `${expected.maxmemoryBytes} bytes on ${reached.length} servers`,
        );
    }

    const probe = await writeProbe(masterAddress, target, timeoutMs);
    add("write-probe", probe === undefined, probe === undefined ? `write, read and delete on ${label(masterAddress)}` : `on ${label(masterAddress)}: ${probe}`);

    return { healthy: checks.every((check) => check.ok), master: named.length === 1 ? named[0] : undefined, checks, durationMs: Date.now() - started };
}

/**
 * Checks until healthy or until `timeoutMs` has passed, reporting each unhealthy round through
 * `onProgress`. Returns the last report, healthy or not.
 */
export async function waitUntilHealthy(
    target: Target,
    expected: Expectations,
    options: { timeoutMs: number; intervalMs?: number; onProgress?: (report: HealthReport, elapsedMs: number) => void },
): Promise<HealthReport> {
    const started = Date.now();
    for (;;) {
        const report = await checkOnce(target, expected);
        const elapsed = Date.now() - started;
        if (report.healthy || elapsed >= options.timeoutMs) {
            return report;
        }
        options.onProgress?.(report, elapsed);
        await new Promise((resolve) => setTimeout(resolve, Math.min(options.intervalMs ?? 2000, Math.max(0, options.timeoutMs - elapsed))));
    }
}

/** The failing checks of a report, one line each. */
export function describeFailures(report: HealthReport): string[] {
    return report.checks.filter((check) => !check.ok).map((check) => `${check.name}: ${check.detail}`);
}
