// The alert rules against real tools: Debian's redis_exporter in front of real redis-server and
// redis-sentinel groups (OOM-rejected writes, evictions and a lost quorum provoked for real), and
// promtool checking and unit-testing the rendered PrometheusRule.

import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import IORedis from "ioredis";
import { AlertRule, instanceAlertRules } from "../../render/alertRules";
import { RedisAlerts } from "../../components/redisAlerts";
import { parseStackConfigOrThrow } from "../../config/parse";
import { InstanceConfig } from "../../config/types";
import { MASTER_NAME, redisName, sentinelName } from "../../facts/operator";
import { LabExporter, Sample, scrape, startExporter, stopExporters } from "../../lab/exporter";
import { GroupSpec, LabGroup, startGroup, stopGroup } from "../../lab/redisLab";
import { recordResources } from "../../plan/mockRuntime";
import { ExporterKind, ruleSelectors, scrapeProblems, Scrapes } from "../alerts/coverage";
import { Selector, selectorsIn } from "../alerts/promql";
import { alertCases, promtool, RuleGroup, testRules, writeRulesFile } from "../alerts/promtool";
import { quietPort } from "../support/health";
import { stackConfig } from "../support/stacks";

const NAMESPACE = "redis";
const PASSWORD = "alerts-lab-pw";
const BASE: Omit<GroupSpec, "name" | "redisCount" | "sentinelCount" | "maxmemoryPolicy"> = {
    password: PASSWORD,
    maxmemory: "2mb",
    appendonly: false,
    downAfterMilliseconds: 1000,
    failoverTimeout: 3000,
    replicaSyncDelaySeconds: 0,
    masterName: MASTER_NAME,
};
const VALUE = "x".repeat(1024);

function client(port: number, password?: string): IORedis {
    return new IORedis({ host: "127.0.0.1", port, password, maxRetriesPerRequest: 0, enableOfflineQueue: true });
}

/** Writes 1 KiB values in batches until a write is rejected with OOM, then `extra` more; the rejections. */
async function fillUntilOom(redis: IORedis, extra: number): Promise<number> {
    for (let batch = 0; batch < 100; batch++) {
        const pipeline = redis.pipeline();
        for (let index = 0; index < 100; index++) pipeline.set(`fill:${batch}:${index}`, VALUE);
        const replies = (await pipeline.exec()) ?? [];
        const rejected = replies.filter(([error]) => error && /^OOM /.test(error.message)).length;
        if (rejected > 0) {
            const more = redis.pipeline();
            for (let index = 0; index < extra; index++) more.set(`more:${index}`, VALUE);
            const moreReplies = (await more.exec()) ?? [];
            return rejected + moreReplies.filter(([error]) => error && /^OOM /.test(error.message)).length;
        }
    }
    throw new Error("no OOM after 10000 writes of 1 KiB");
}

/** Writes `count` 1 KiB values. */
async function write(redis: IORedis, count: number): Promise<void> {
    const pipeline = redis.pipeline();
    for (let index = 0; index < count; index++) pipeline.set(`evict:${index}`, VALUE);
    await pipeline.exec();
}

function only(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
    return samples.filter((s) => s.name === name && Object.entries(labels).every(([label, value]) => s.labels[label] === value));
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
    const found = only(samples, name, labels);
    assert.strictEqual(found.length, 1, `${name}${JSON.stringify(labels)}: ${found.length} samples`);
    return found[0].value;
}

/** Which exporter an instance's selector reads, from its pod matcher. */
function kindFor(instance: InstanceConfig): (selector: Selector) => ExporterKind | undefined {
    return (selector) => {
        const pod = selector.matchers.find((m) => m.label === "pod" && m.op === "=~");
        if (pod?.value === `${redisName(instance.name)}-.*`) return "redis";
        if (pod?.value === `${sentinelName(instance.name)}-.*`) return "sentinel";
        return undefined;
    };
}

describe("components: RedisAlerts against real redis_exporter and promtool", function () {
    this.timeout(30_000);
    const prod = parseStackConfigOrThrow(stackConfig("prod"));
    const auth = prod.instances.find((i) => i.redis.maxmemoryPolicy === "noeviction")!;
    let root: string;
    const groups: LabGroup[] = [];
    const exporters: LabExporter[] = [];
    /** Every scrape of the run, by what was scraped. */
    const seen: Record<string, Sample[]> = {};
    let rendered: RuleGroup[];

    before(async () => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "redis-ha-alerts-"));
        const started = await Promise.allSettled([
            startGroup({ ...BASE, name: "noeviction", redisCount: 2, sentinelCount: 1, maxmemoryPolicy: "noeviction" }, root),
            startGroup({ ...BASE, name: "lru", redisCount: 1, sentinelCount: 1, maxmemoryPolicy: "allkeys-lru" }, root),
        ]);
        for (const result of started) if (result.status === "fulfilled") groups.push(result.value);
        for (const result of started) if (result.status === "rejected") throw result.reason;
        const [noeviction, lru] = groups;
        // One exporter per target, as the operator runs one sidecar per pod.
        const targets = {
            master: { port: noeviction.redis[0].port, password: PASSWORD, alias: "noeviction-master" },
            replica: { port: noeviction.redis[1].port, password: PASSWORD, alias: "noeviction-replica" },
            sentinel: { port: noeviction.sentinels[0].port, alias: "noeviction-sentinel" },
            lruMaster: { port: lru.redis[0].port, password: PASSWORD, alias: "lru-master" },
            // Nothing listens here: the exporter runs but cannot read redis.
            gone: { port: await quietPort(), password: PASSWORD, alias: "gone" },
        };
        const running = await Promise.allSettled(Object.values(targets).map((target) => startExporter(target)));
        for (const result of running) if (result.status === "fulfilled") exporters.push(result.value);
        for (const result of running) if (result.status === "rejected") throw result.reason;
        const [master, replica, sentinel, lruMaster, gone] = exporters;

        seen.masterBefore = await scrape(master);
        const masterClient = client(noeviction.redis[0].port, PASSWORD);
        const lruClient = client(lru.redis[0].port, PASSWORD);
        const sentinelClient = client(noeviction.sentinels[0].port);
        try {
            seen.rejected = [{ name: "rejected writes", labels: {}, value: await fillUntilOom(masterClient, 20) }];
            await write(lruClient, 4000);
            seen.sentinelOk = await scrape(sentinel);
            // One sentinel cannot reach a quorum of 2: SENTINEL CKQUORUM fails.
            await sentinelClient.call("SENTINEL", "SET", MASTER_NAME, "quorum", "2");
            seen.sentinelNoQuorum = await scrape(sentinel);
            await sentinelClient.call("SENTINEL", "SET", MASTER_NAME, "quorum", "1");
        } finally {
            masterClient.disconnect();
            lruClient.disconnect();
            sentinelClient.disconnect();
        }
        [seen.master, seen.replica, seen.lruMaster, seen.gone] = await Promise.all(
            [master, replica, lruMaster, gone].map((e) => scrape(e)),
        );

        const { resources } = await recordResources(
            { stack: "prod" },
            () => new RedisAlerts("redis-alerts", { config: prod.alerts, namespace: NAMESPACE, instances: prod.instances }),
        );
        const rule = resources.find((r) => r.type === "kubernetes:monitoring.coreos.com/v1:PrometheusRule");
        assert.ok(rule, "no PrometheusRule rendered");
        rendered = (rule.inputs.spec as { groups: RuleGroup[] }).groups;
    });

    after(async () => {
        await stopExporters(exporters);
        await Promise.all(groups.map((group) => stopGroup(group)));
        if (root) fs.rmSync(root, { recursive: true, force: true });
    });

    /** The scrapes of each exporter kind, pooled. */
    function scrapes(): Scrapes {
        return {
            redis: [...seen.masterBefore, ...seen.master, ...seen.replica, ...seen.lruMaster, ...seen.gone],
            sentinel: [...seen.sentinelOk, ...seen.sentinelNoQuorum],
        };
    }

    /** The rendered rules of one instance. */
    function renderedRules(instance: InstanceConfig): AlertRule[] {
        const group = rendered.find((g) => g.name === `redis-ha-${instance.name}`);
        assert.ok(group, `no rule group for ${instance.name}`);
        return group.rules;
    }

    it("renders what instanceAlertRules returns, one group per instance", () => {
        assert.deepStrictEqual(
            rendered,
            prod.instances.map((instance) => ({
                name: `redis-ha-${instance.name}`,
                rules: instanceAlertRules(NAMESPACE, instance, prod.alerts.memoryRatio),
            })),
        );
    });

    it("every metric and every exporter-label matcher of every rule is in a real scrape of its exporter", () => {
        for (const instance of prod.instances) {
            const selectors = ruleSelectors(renderedRules(instance));
            assert.ok(selectors.length >= renderedRules(instance).length, `${instance.name}: a rule without a selector`);
            assert.deepStrictEqual(scrapeProblems(selectors, scrapes(), kindFor(instance)), [], instance.name);
        }
    });

    it("the scrape check reports a misspelt metric, a wrong exporter label value and a selector of no pods", () => {
        const wrong = [
            {
                alert: "OldRejectingWrites",
                expr: `increase(redis_errorstat_total{namespace="redis",pod=~"${redisName(auth.name)}-.*",err="OOM"}[5m]) > 0`,
            },
            {
                alert: "Primary",
                expr: `count(redis_instance_info{namespace="redis",pod=~"${redisName(auth.name)}-.*",role="primary"}) > 1`,
            },
            {
                alert: "QuorumOnRedis",
                expr: `min(redis_sentinel_master_ckquorum_status{namespace="redis",pod=~"${redisName(auth.name)}-.*"}) < 1`,
            },
            { alert: "NoPods", expr: `redis_up{namespace="redis"} == 0` },
        ];
        const problems = scrapeProblems(ruleSelectors(wrong), scrapes(), kindFor(auth));
        assert.strictEqual(problems.length, 4, problems.join("\n"));
        assert.match(problems[0], /OldRejectingWrites: metric redis_errorstat_total is not in any real redis exporter scrape/);
        assert.match(problems[1], /Primary: no real redis_instance_info sample matches .*role in \{.*"master".*\}/);
        assert.match(problems[2], /QuorumOnRedis: metric redis_sentinel_master_ckquorum_status is not in any real redis exporter scrape/);
        assert.match(problems[3], /NoPods: .* selects neither/);
    });

    it("reads selectors out of PromQL: functions, aggregations, label lists, ranges and offsets are no metrics", () => {
        const selectors = selectorsIn(
            `sum by (pod) (rate(a_total{x="1",y=~"b.*"}[5m] offset 1m)) / on(pod) group_left(role) b or absent(c) and count without (z) (d:e) > 0.8`,
        );
        assert.deepStrictEqual(
            selectors.map((s) => s.metric),
            ["a_total", "b", "c", "d:e"],
        );
        assert.deepStrictEqual(selectors[0].matchers, [
            { label: "x", op: "=", value: "1" },
            { label: "y", op: "=~", value: "b.*" },
        ]);
        assert.throws(() => selectorsIn(`{__name__="x"}`), /without a metric name/);
    });

    it("the real exporter writes what the rules assume: roles, replica link, maxmemory, OOM errors, evictions, quorum, redis_up", () => {
        const version = only(seen.master, "redis_exporter_build_info")[0]?.labels.version;
        assert.ok(version, "redis_exporter_build_info has a version");
        // Exactly one master among a group's redis (RedisNoMaster, RedisSplitBrain).
        assert.strictEqual(value(seen.master, "redis_instance_info", { role: "master" }), 1);
        assert.strictEqual(value(seen.replica, "redis_instance_info", { role: "slave" }), 1);
        // The link metric exists on replicas only (RedisReplicaLinkDown).
        assert.strictEqual(value(seen.replica, "redis_master_link_up"), 1);
        assert.strictEqual(only(seen.master, "redis_master_link_up").length, 0);
        // maxmemory in bytes; used memory at it after the fill (RedisMemoryNearMaxmemory).
        assert.strictEqual(value(seen.master, "redis_memory_max_bytes"), 2 * 1024 * 1024);
        assert.ok(value(seen.master, "redis_memory_used_bytes") / value(seen.master, "redis_memory_max_bytes") > prod.alerts.memoryRatio);
        // OOM-rejected writes are counted per error prefix; the series does not exist before the
        // first one (RedisRejectingWrites counts a series that appeared).
        assert.strictEqual(only(seen.masterBefore, "redis_errors_total", { err: "OOM" }).length, 0, "no OOM series before the first OOM");
        assert.strictEqual(value(seen.master, "redis_errors_total", { err: "OOM" }), seen.rejected[0].value);
        assert.strictEqual(value(seen.master, "redis_evicted_keys_total"), 0, "noeviction evicts nothing");
        assert.ok(value(seen.lruMaster, "redis_evicted_keys_total") > 0, "allkeys-lru evicted");
        // The sentinel exporter: CKQUORUM 1 when it holds, 0 when it fails (RedisSentinelQuorumLost).
        assert.strictEqual(value(seen.sentinelOk, "redis_sentinel_master_ckquorum_status", { master_name: MASTER_NAME }), 1);
        assert.strictEqual(value(seen.sentinelNoQuorum, "redis_sentinel_master_ckquorum_status", { master_name: MASTER_NAME }), 0);
        // An exporter that cannot read redis (RedisExporterDown).
        assert.strictEqual(value(seen.master, "redis_up"), 1);
        assert.strictEqual(value(seen.gone, "redis_up"), 0);
    });

    it("promtool check rules accepts the rendered PrometheusRule's groups, and rejects a broken expression", () => {
        const dir = fs.mkdtempSync(path.join(root, "check-"));
        writeRulesFile(path.join(dir, "rules.yml"), rendered);
        const good = promtool(dir, "check", "rules", "rules.yml");
        const count = rendered.reduce((sum, group) => sum + group.rules.length, 0);
        assert.strictEqual(good.status, 0, good.output);
        assert.match(good.output, new RegExp(`SUCCESS: ${count} rules found`));
        const broken = rendered.map((group, index) =>
            index === 0 ? { ...group, rules: [{ ...group.rules[0], expr: group.rules[0].expr.replace(/\)[^)]*$/, "") }] } : group,
        );
        writeRulesFile(path.join(dir, "broken.yml"), broken);
        assert.notStrictEqual(promtool(dir, "check", "rules", "broken.yml").status, 0);
    });

    it("promtool test rules: each alert of an instance fires under its series (after its for:) and stays silent under others", () => {
        const dir = fs.mkdtempSync(path.join(root, "unit-"));
        const rules = renderedRules(auth);
        const cases = alertCases(NAMESPACE, auth, prod.alerts.memoryRatio);
        assert.deepStrictEqual(Object.keys(cases).sort(), rules.map((r) => r.alert).sort(), "one case per alert");
        const run = testRules(dir, { name: `redis-ha-${auth.name}`, rules }, cases);
        assert.strictEqual(run.status, 0, run.output);
        assert.match(run.output, /SUCCESS/);
    });

    it("promtool test rules fails for the old OOM rules and for a rule without its for:", () => {
        const dir = fs.mkdtempSync(path.join(root, "unit-wrong-"));
        const cases = alertCases(NAMESPACE, auth, prod.alerts.memoryRatio);
        const group = { name: `redis-ha-${auth.name}`, rules: renderedRules(auth) };
        const replaced = (alert: string, change: Partial<AlertRule>) => ({
            ...group,
            rules: group.rules.map((r) => (r.alert === alert ? { ...r, ...change } : r)),
        });
        const pods = `namespace="${NAMESPACE}",pod=~"${redisName(auth.name)}-.*"`;
        for (const [what, loaded] of [
            [
                "the old metric name",
                replaced("RedisRejectingWrites", { expr: `increase(redis_errorstat_total{${pods},err="OOM"}[5m]) > 0` }),
            ],
            [
                "increase() alone, missing the first OOM",
                replaced("RedisRejectingWrites", { expr: `increase(redis_errors_total{${pods},err="OOM"}[5m]) > 0` }),
            ],
            ["no for:", replaced("RedisReplicaLinkDown", { for: "0m" })],
        ] as const) {
            const run = testRules(dir, group, cases, loaded);
            assert.notStrictEqual(run.status, 0, `${what}: ${run.output}`);
            assert.match(run.output, what === "no for:" ? /RedisReplicaLinkDown/ : /RedisRejectingWrites/, what);
        }
    });
});
