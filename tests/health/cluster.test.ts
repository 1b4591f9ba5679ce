// Waiting for the pods of a RedisFailover: the operator is still creating them when the check
// starts (Pulumi does not wait on a custom resource without status), and they restart with new
// addresses while it runs. A pod lister whose answers change drives the check over a real group.

import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import IORedis from "ioredis";
import * as os from "os";
import * as path from "path";
import { MASTER_NAME, redisName } from "../../facts/operator";
import { openPodTarget } from "../../health/kubernetes";
import { PodInfo, podsCheck, servicesCheck } from "../../health/cluster";
import { LabGroup, startGroup, stopGroup, whenGone } from "../../lab/redisLab";
import { HealthCheckInputs, runHealthCheck } from "../../providers/redisHealthCheck";
import { admin, labPods, operatorServices, pipeForwarder, quickSpec, quietPort, timed, until } from "../support/health";

const FAILOVER = "watch";
const SPEC = quickSpec({ name: FAILOVER, password: "watch-pw" });

describe("health: waiting for the pods of a RedisFailover", function () {
    this.timeout(30_000);
    let root: string;
    let group: LabGroup;
    let inputs: HealthCheckInputs;

    before(async () => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "redis-ha-pods-"));
        group = await startGroup(SPEC, root);
        inputs = {
            kubernetes: { namespace: "lab", name: FAILOVER },
            masterName: MASTER_NAME,
            expectPolicy: SPEC.maxmemoryPolicy,
            expectMaxmemoryBytes: 256 * 1024 * 1024,
            expectRedis: SPEC.redisCount,
            expectSentinels: SPEC.sentinelCount,
            password: SPEC.password,
            timeoutSeconds: 10,
        };
    });
    after(async () => {
        await stopGroup(group);
        fs.rmSync(root, { recursive: true, force: true });
    });

    /** Runs the provider's check over pods that `listPods` reports, polling every 100 ms. */
    function check(
        listPods: () => Promise<PodInfo[]>,
        options: { overrides?: Partial<HealthCheckInputs>; seen?: string[]; onLine?: () => void } = {},
    ) {
        const lines: string[] = [];
        const log = (line: string) => {
            lines.push(line);
            options.onLine?.();
        };
        const outputs = runHealthCheck({ ...inputs, ...options.overrides }, log, {
            intervalMs: 100,
            open: async () =>
                openPodTarget({
                    name: FAILOVER,
                    listPods,
                    listServices: async () => operatorServices(FAILOVER),
                    forward: pipeForwarder(options.seen),
                    password: SPEC.password,
                    probeTimeoutMs: 500,
                }),
        });
        return { lines, outputs };
    }

    it("waits while no pod, then only the sentinels, run; ends healthy once all do", async () => {
        let calls = 0;
        const all = labPods(group, FAILOVER);
        const { lines, outputs } = check(async () => {
            calls++;
            return calls === 1 ? [] : calls === 2 ? all.filter((pod) => pod.component === "sentinel") : all;
        });
        const done = await outputs;
        assert.strictEqual(done.rounds, 3, lines.join("\n"));
        assert.match(
            lines[0],
            /^redis-ha health \(kubernetes lab\/watch\): not healthy after 0s of 10s: pods: 0\/1 sentinel pods running, 0\/2 redis pods running; 14 checks not run \(no sentinel pod running\)$/,
        );
        assert.match(lines[1], /: pods: 1\/1 sentinel pods running, 0\/2 redis pods running; /);
        assert.match(lines[1], new RegExp(`no pod of this RedisFailover has address 127.0.0.1:${group.redis[0].port}`));
        assert.deepStrictEqual(
            done.checks.slice(0, 2).map((c) => [c.name, c.ok, c.detail]),
            [
                ["pods", true, "1/1 sentinel pods running, 2/2 redis pods running"],
                ["services", true, "rfrm-watch, rfrs-watch, rfs-watch present, none exposed"],
            ],
        );
        assert.strictEqual(done.checks.length, 16);
        assert.ok(done.checks.every((c) => c.ok));
    });

    it("follows a redis pod that restarts with a new address, forwarding the new one", async () => {
        const old = group.redis[1];
        const name = `${redisName(FAILOVER)}-1`;
        const port = await quietPort();
        const dir = path.join(group.dir, "redis-1-moved");
        fs.mkdirSync(dir);
        const sentinel = new IORedis({ host: "127.0.0.1", port: group.sentinels[0].port, lazyConnect: true });
        await sentinel.connect();
        // Short timings, as the lab's groups have: Sentinel asks the master for its replicas every
        // 10 s, 200 ms here, so the replica is found again at once.
        await sentinel.call("SENTINEL", "DEBUG", "INFO-PERIOD", "200");
        process.kill(old.pid, "SIGKILL");
        await whenGone([old.pid]);
        // The pod restarts elsewhere: same name, a new address. As the operator does when a
        // sentinel knows a wrong number of replicas (`operator/redisfailover/checker.go`,
        // `checkAndHealSentinels`), the sentinel is reset once the replica is back.
        const replace = async () => {
            const server = spawn(
                "redis-server",
                ["--port", `${port}`, "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no"].concat(
                    ["--requirepass", SPEC.password, "--masterauth", SPEC.password, "--maxmemory", SPEC.maxmemory],
                    ["--maxmemory-policy", SPEC.maxmemoryPolicy, "--replicaof", "127.0.0.1", `${group.redis[0].port}`],
                ),
                { stdio: "ignore" },
            );
            group.redis[1] = { port, pid: server.pid!, dir };
            const master = await admin(group, 0);
            await until(async () => new RegExp(`port=${port},state=online`).test(await master.info("replication")), 10_000, "resync");
            master.disconnect();
            await sentinel.call("SENTINEL", "RESET", MASTER_NAME);
        };
        let replaced: Promise<void> | undefined;
        const seen: string[] = [];
        const { lines, outputs } = check(
            async () => {
                if (replaced) await replaced;
                const pods = labPods(group, FAILOVER);
                return replaced ? pods : pods.map((pod) => (pod.name === name ? { ...pod, port: old.port, ready: false } : pod));
            },
            { seen, onLine: () => (replaced ??= replace()) },
        );
        try {
            const done = await outputs;
            assert.match(lines[0], new RegExp(`pods: 1/1 sentinel pods running, 1/2 redis pods running \\(${name} not ready\\)`));
            assert.ok(done.checks.every((c) => c.ok));
            assert.ok(seen.includes(`${name} 127.0.0.1:${port}`), seen.join("\n"));
        } finally {
            await replaced;
            sentinel.disconnect();
        }
    });

    it("gives up after its timeout when the pods never come, naming what is missing", async () => {
        const run = check(async () => [], { overrides: { timeoutSeconds: 1 } });
        const { value: failure, ms } = await timed(() =>
            run.outputs.then(
                () => assert.fail("healthy without pods"),
                (error: Error) => error.message,
            ),
        );
        assert.strictEqual(
            failure,
            [
                "Redis group (kubernetes lab/watch) is not what was asked for after 1s:",
                "  - pods: 0/1 sentinel pods running, 0/2 redis pods running",
                "  - 14 checks not run (no sentinel pod running)",
            ].join("\n"),
        );
        // Never before its timeout; and not after it either, counted in rounds, not milliseconds (a
        // busy machine makes rounds slower, never more): with a round every 100 ms, at most one
        // per 100 ms of the 1 s and the one that finds the time up.
        assert.ok(ms >= 1000, `took ${ms} ms`);
        assert.ok(run.lines.length >= 2 && run.lines.length + 1 <= 1000 / 100 + 2, `${run.lines.length + 1} rounds`);
    });
});

describe("health: the pods and Services rules", () => {
    const EXPECTED = { masterName: MASTER_NAME, maxmemoryPolicy: "noeviction", redisCount: 3, sentinelCount: 3 };
    const pod = (name: string, component: PodInfo["component"], phase = "Running", ready = true): PodInfo => ({
        name,
        ip: phase === "Pending" ? undefined : "10.244.0.1",
        component,
        phase,
        ready,
    });

    it("counts running, ready pods of each component and names the others", () => {
        const pods = [
            pod("rfs-a-1", "sentinel"),
            pod("rfr-a-0", "redis"),
            pod("rfr-a-2", "redis", "Pending"),
            pod("rfr-a-1", "redis", "Running", false),
        ];
        assert.deepStrictEqual(podsCheck(pods, EXPECTED), {
            name: "pods",
            ok: false,
            detail: "1/3 sentinel pods running, 1/3 redis pods running (rfr-a-1 not ready, rfr-a-2 Pending)",
        });
        const all = ["0", "1", "2"].flatMap((i) => [pod(`rfs-a-${i}`, "sentinel"), pod(`rfr-a-${i}`, "redis")]);
        assert.strictEqual(podsCheck(all, EXPECTED).ok, true);
        assert.match(podsCheck([...all, pod("rfs-a-3", "sentinel")], EXPECTED).detail, /^4\/3 sentinel pods running/);
    });

    it("requires the master, replica and sentinel Services, and no external one unless allowed", () => {
        const services = operatorServices("a").filter((s) => s.name !== "rfrs-a");
        services[0] = { ...services[0], type: "LoadBalancer" };
        services.push({ name: "rfr-a-debug", type: "NodePort" });
        assert.deepStrictEqual(servicesCheck(services, "a", false), {
            name: "services",
            ok: false,
            detail: "missing rfrs-a; rfr-a-debug is NodePort (external Services not allowed); rfrm-a is LoadBalancer (external Services not allowed)",
        });
        const present = [...services, { name: "rfrs-a", type: "ClusterIP" }];
        assert.deepStrictEqual(servicesCheck(present, "a", true), {
            name: "services",
            ok: true,
            detail: "rfrm-a, rfrs-a, rfs-a present; rfr-a-debug is NodePort (allowed), rfrm-a is LoadBalancer (allowed)",
        });
        // The headless rfr- Service exists only with the redis exporter.
        assert.strictEqual(servicesCheck(operatorServices("a").slice(0, 3), "a", false).ok, true);
    });
});
