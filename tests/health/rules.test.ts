// The rules alone: views as the probes would gather them, in and out; no server needed.

import * as assert from "assert";
import { MASTER_NAME, REDIS_PORT, SENTINEL_PORT } from "../../facts/operator";
import { CHECK_NAMES, CheckResult, describeFailures, formatReport } from "../../health/report";
import { Endpoint } from "../../health/connection";
import { Expectations } from "../../health/rules";
import type { RedisView, SentinelView } from "../../health/probes";
import { healthReport, notChecked } from "../../health/report";
import * as rules from "../../health/rules";

const EXPECTED: Expectations = {
    masterName: MASTER_NAME,
    maxmemoryPolicy: "noeviction",
    maxmemoryBytes: 268435456,
    redisCount: 3,
    sentinelCount: 3,
};
const REDIS: Endpoint[] = ["10.0.0.1", "10.0.0.2", "10.0.0.3"].map((host) => ({ host, port: REDIS_PORT }));
const [MASTER] = REDIS;
const at = (endpoint: Endpoint) => `${endpoint.host}:${endpoint.port}`;

function replicaEntry(endpoint: Endpoint, flags = "slave", link = "ok"): Record<string, string> {
    return { ip: endpoint.host, port: String(endpoint.port), flags, "master-link-status": link };
}

/** A sentinel that sees the healthy group of `EXPECTED`. */
function sentinel(index: number, change: Partial<SentinelView> = {}): SentinelView {
    return {
        endpoint: { host: `10.0.1.${index}`, port: SENTINEL_PORT },
        masterAddress: MASTER,
        master: { flags: "master" },
        quorum: "OK 3 usable Sentinels. Quorum and failover authorization can be reached",
        replicas: REDIS.slice(1).map((r) => replicaEntry(r)),
        sentinels: [{ flags: "sentinel" }, { flags: "sentinel" }],
        ...change,
    };
}

const SENTINELS = [1, 2, 3].map((i) => sentinel(i));

/** A redis of the healthy group: the master with two online replicas, or a linked replica. */
function redis(endpoint: Endpoint, change: Partial<RedisView> = {}): RedisView {
    const replication: Record<string, string> =
        endpoint === MASTER
            ? {
                  role: "master",
                  slave0: `ip=10.0.0.2,port=${REDIS_PORT},state=online,offset=1,lag=0`,
                  slave1: `ip=10.0.0.3,port=${REDIS_PORT},state=online,offset=1,lag=1`,
              }
            : { role: "slave", master_link_status: "up" };
    return { address: endpoint, replication, policy: "noeviction", maxmemory: 268435456, ...change };
}

const SERVERS = REDIS.map((r) => redis(r));

function holds(check: CheckResult, name: CheckResult["name"], detail: RegExp | string): void {
    assert.strictEqual(check.name, name);
    assert.strictEqual(check.ok, true, check.detail);
    assert.ok(typeof detail === "string" ? check.detail === detail : detail.test(check.detail), check.detail);
}

function fails(check: CheckResult, name: CheckResult["name"], detail: RegExp | string): void {
    assert.strictEqual(check.name, name);
    assert.strictEqual(check.ok, false, check.detail);
    assert.ok(typeof detail === "string" ? check.detail === detail : detail.test(check.detail), check.detail);
}

describe("health: rules", () => {
    it("sentinels-reachable: every sentinel answers", () => {
        holds(rules.sentinelsReachable(SENTINELS), "sentinels-reachable", "3/3 answer");
        fails(
            rules.sentinelsReachable([...SENTINELS.slice(1), { endpoint: SENTINELS[0].endpoint, error: "connect ECONNREFUSED" }]),
            "sentinels-reachable",
            `2/3 answer; 10.0.1.1:${SENTINEL_PORT}: connect ECONNREFUSED`,
        );
        fails(rules.sentinelsReachable([]), "sentinels-reachable", "0/0 answer");
    });

    it("master-known: every answering sentinel knows the master name", () => {
        holds(rules.masterKnown(SENTINELS, MASTER_NAME), "master-known", `all name a master "${MASTER_NAME}"`);
        fails(
            rules.masterKnown([SENTINELS[0], { endpoint: SENTINELS[1].endpoint }], MASTER_NAME),
            "master-known",
            `10.0.1.2:${SENTINEL_PORT} know no master named "${MASTER_NAME}"`,
        );
    });

    it("sentinels-agree: all name the same master", () => {
        holds(rules.sentinelsAgree(SENTINELS), "sentinels-agree", `master ${at(MASTER)}`);
        assert.strictEqual(rules.agreedMaster(SENTINELS), at(MASTER));
        const split = [SENTINELS[0], sentinel(2, { masterAddress: REDIS[1] })];
        fails(rules.sentinelsAgree(split), "sentinels-agree", `sentinels name different masters: ${at(MASTER)}, ${at(REDIS[1])}`);
        assert.strictEqual(rules.agreedMaster(split), undefined);
    });

    it("master-up: no sentinel flags the master down", () => {
        holds(rules.masterUp(SENTINELS), "master-up", "no sentinel flags it down");
        fails(
            rules.masterUp([SENTINELS[0], sentinel(2, { master: { flags: "master,s_down" } })]),
            "master-up",
            `master flagged down (10.0.1.2:${SENTINEL_PORT}: master,s_down)`,
        );
    });

    it("quorum: CKQUORUM is OK on every sentinel", () => {
        holds(rules.quorum(SENTINELS), "quorum", "CKQUORUM OK on every sentinel");
        fails(
            rules.quorum([SENTINELS[0], sentinel(2, { quorum: "NOQUORUM 1 usable Sentinels" })]),
            "quorum",
            `10.0.1.2:${SENTINEL_PORT}: NOQUORUM 1 usable Sentinels`,
        );
    });

    it("sentinel-count: as many answer, and each sees as many healthy ones, as expected", () => {
        holds(
            rules.sentinelCount(SENTINELS, SENTINELS, EXPECTED),
            "sentinel-count",
            "expected 3; 3 answer; each sees 3/3/3 healthy sentinels (itself included)",
        );
        const blind = sentinel(3, { sentinels: [{ flags: "sentinel" }, { flags: "sentinel,s_down" }] });
        fails(
            rules.sentinelCount([...SENTINELS.slice(0, 2), blind], [...SENTINELS.slice(0, 2), blind], EXPECTED),
            "sentinel-count",
            /each sees 3\/3\/2 healthy/,
        );
        fails(rules.sentinelCount(SENTINELS.slice(0, 2), SENTINELS.slice(0, 2), EXPECTED), "sentinel-count", /; 2 answer;/);
    });

    it("replica-count: replicas with clean flags and link ok, as many as expected", () => {
        holds(rules.replicaCount(SENTINELS, EXPECTED), "replica-count", "expected 2 healthy replicas; sentinels see 2/2/2");
        const stale = sentinel(2, { replicas: [replicaEntry(REDIS[1]), replicaEntry(REDIS[2], "slave,s_down", "err")] });
        fails(
            rules.replicaCount([SENTINELS[0], stale], EXPECTED),
            "replica-count",
            `expected 2 healthy replicas; sentinels see 2/1; unhealthy: ${at(REDIS[2])} (slave,s_down, link err)`,
        );
    });

    it("asks every redis any sentinel names, the master first, each once", () => {
        const extra = { host: "10.0.0.9", port: REDIS_PORT };
        const addresses = rules.redisAddresses([...SENTINELS, sentinel(4, { replicas: [replicaEntry(extra)] })], MASTER);
        assert.deepStrictEqual(addresses.map(at), [...REDIS, extra].map(at));
    });

    it("redis-reachable: every redis answers; a wrong password is named", () => {
        holds(rules.redisReachable(SERVERS), "redis-reachable", "3/3 answer");
        fails(
            rules.redisReachable([SERVERS[0], { address: REDIS[1], error: "WRONGPASS invalid username-password pair" }]),
            "redis-reachable",
            `${at(REDIS[1])}: authentication failed (WRONGPASS invalid username-password pair)`,
        );
        fails(
            rules.redisReachable([{ address: REDIS[2], error: "connect ECONNREFUSED" }]),
            "redis-reachable",
            `${at(REDIS[2])}: connect ECONNREFUSED`,
        );
    });

    it("single-master: exactly one role:master, the one Sentinel names", () => {
        holds(rules.singleMaster(SERVERS, MASTER), "single-master", `${at(MASTER)} is the only master`);
        const promoted = redis(REDIS[2], { replication: { role: "master" } });
        fails(
            rules.singleMaster([...SERVERS.slice(0, 2), promoted], MASTER),
            "single-master",
            `split brain: 2 servers report role:master (${at(MASTER)}, ${at(REDIS[2])})`,
        );
        fails(rules.singleMaster(SERVERS.slice(1), MASTER), "single-master", "no server reports role:master");
        const demoted = redis(MASTER, { replication: { role: "slave", master_link_status: "up" } });
        fails(
            rules.singleMaster([demoted, SERVERS[1], promoted], MASTER),
            "single-master",
            `sentinels name ${at(MASTER)}, which reports role:slave`,
        );
    });

    it("replication: every replica online within the lag bound, every link up", () => {
        holds(rules.replication(SERVERS, MASTER, EXPECTED), "replication", "every replica linked, lag <= 5s");
        const lagging = redis(MASTER, {
            replication: {
                role: "master",
                slave0: `ip=10.0.0.2,port=${REDIS_PORT},state=online,lag=9`,
                slave1: `ip=10.0.0.3,port=${REDIS_PORT},state=wait_bgsave,lag=0`,
            },
        });
        const unlinked = redis(REDIS[2], { replication: { role: "slave", master_link_status: "down" } });
        fails(
            rules.replication([lagging, SERVERS[1], unlinked], MASTER, EXPECTED),
            "replication",
            `master has 1 online replicas, expected 2; 10.0.0.2:${REDIS_PORT} lags 9s; ${at(REDIS[2])} master_link_status:down`,
        );
        fails(rules.replication(SERVERS.slice(1), MASTER, EXPECTED), "replication", `master ${at(MASTER)} did not answer`);
        holds(
            rules.replication([lagging, ...SERVERS.slice(1)], MASTER, { ...EXPECTED, redisCount: 2, maxLagSeconds: 10 }),
            "replication",
            "every replica linked, lag <= 10s",
        );
    });

    it("maxmemory-policy: every server has the expected policy", () => {
        holds(rules.maxmemoryPolicy(SERVERS, EXPECTED), "maxmemory-policy", "noeviction on 3 servers");
        fails(
            rules.maxmemoryPolicy([...SERVERS.slice(0, 2), redis(REDIS[2], { policy: "allkeys-lru" })], EXPECTED),
            "maxmemory-policy",
            `expected noeviction; ${at(REDIS[2])} has allkeys-lru`,
        );
    });

    it("maxmemory: every server has the expected size, when one is expected", () => {
        holds(rules.maxmemory(SERVERS, EXPECTED), "maxmemory", "268435456 bytes on 3 servers");
        holds(rules.maxmemory([redis(MASTER, { maxmemory: 0 })], { ...EXPECTED, maxmemoryBytes: undefined }), "maxmemory", "not asked for");
        fails(
            rules.maxmemory([redis(MASTER, { maxmemory: 104857600 }), ...SERVERS.slice(1)], EXPECTED),
            "maxmemory",
            `expected 268435456 bytes; ${at(MASTER)} has 104857600`,
        );
    });

    it("write-probe: a key can be written, read and deleted on the master", () => {
        holds(rules.writeProbe(MASTER, undefined), "write-probe", `write, read and delete on ${at(MASTER)}`);
        fails(
            rules.writeProbe(MASTER, "READONLY You can't write against a read only replica."),
            "write-probe",
            `on ${at(MASTER)}: READONLY You can't write against a read only replica.`,
        );
    });

    it("judges the sentinels in order, or says why the rest cannot run", () => {
        const judged = rules.judgeSentinels(SENTINELS, EXPECTED);
        assert.strictEqual(judged.stop, undefined);
        assert.deepStrictEqual(
            judged.checks.map((c) => c.name),
            CHECK_NAMES.slice(0, 8),
        );
        assert.ok(judged.stop === undefined && judged.agreed === at(MASTER) && judged.redis.length === 3);
        const silent = rules.judgeSentinels([{ endpoint: SENTINELS[0].endpoint, error: "timed out" }], EXPECTED);
        assert.deepStrictEqual([silent.stop, silent.checks.length], ["no sentinel answers", 1]);
        const unknowing = rules.judgeSentinels([{ endpoint: SENTINELS[0].endpoint }], EXPECTED);
        assert.deepStrictEqual([unknowing.stop, unknowing.checks.length], [`no sentinel knows "${MASTER_NAME}"`, 2]);
    });

    it("judges the redis servers in order, or stops when none answers", () => {
        const judged = rules.judgeRedis(SERVERS, MASTER, EXPECTED);
        assert.deepStrictEqual(
            judged.checks.map((c) => c.name),
            CHECK_NAMES.slice(8, 13),
        );
        assert.ok(judged.checks.every((c) => c.ok));
        const none = rules.judgeRedis([{ address: MASTER, error: "connect ECONNREFUSED" }], MASTER, EXPECTED);
        assert.deepStrictEqual([none.stop, none.checks.map((c) => c.name)], ["no redis answers", CHECK_NAMES.slice(8, 11)]);
    });
});

describe("health: report", () => {
    it("completes a stopped round with every missing check, in order, failed", () => {
        const checks = notChecked([rules.sentinelsReachable(SENTINELS)], "no sentinel answers");
        assert.deepStrictEqual(
            checks.map((c) => c.name),
            [...CHECK_NAMES],
        );
        assert.ok(checks.slice(1).every((c) => !c.ok && c.detail === "not checked: no sentinel answers"));
    });

    it("is healthy only when every check holds, and lists and prints what fails", () => {
        const good = healthReport([rules.quorum(SENTINELS), rules.maxmemory(SERVERS, EXPECTED)], at(MASTER), 12);
        assert.strictEqual(good.healthy, true);
        assert.deepStrictEqual(describeFailures(good), []);
        const bad = healthReport([rules.quorum(SENTINELS), rules.writeProbe(MASTER, "OOM")], at(MASTER), 12);
        assert.strictEqual(bad.healthy, false);
        assert.deepStrictEqual(describeFailures(bad), [`write-probe: on ${at(MASTER)}: OOM`]);
        assert.strictEqual(
            formatReport(bad),
            `ok    quorum       CKQUORUM OK on every sentinel\nFAIL  write-probe  on ${at(MASTER)}: OOM\n\nUNHEALTHY: master ${at(MASTER)} (12 ms)`,
        );
    });
});
