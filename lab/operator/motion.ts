// The operator in motion, for the labs: pods deleted and re-created from its templates, with new
// addresses published in the lab's DNS, and its periodic pass (CheckAndHeal) with its early returns
// and its update order. Paths are in spotahome/redis-operator at its last commit (632aa3da), as in
// facts/operator.ts; Kubernetes paths are in kubernetes/kubernetes.

import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { REDIS_TERMINATION_GRACE_SECONDS, redisShutdownScript } from "../../render/redisShutdown";
import { MASTER_NAME, RESYNC_SECONDS, sentinelServiceEnv, SHUTDOWN_SCRIPT_KEY } from "../../facts/operator";
import { LabDns } from "../dns";
import { motionBootstrapPassing, motionRedisPassing, motionSentinelsPassing } from "./pass";
import { answersPing, HOST, LabGroup, LabServer, labRedisConfig, labSentinelConfig, startServer, waitFor, whenGone } from "../redisLab";
import { operatorRedisArgs, withClient } from "./steps";
import type { ServiceAddress } from "../service";

/** A pod's phase as the operator's check reads it (`util/pod.go`: Pending, or deleting). */
export type PodPhase = "Running" | "Pending" | "Terminating";

/** One pod of the group: its server (while it has one), phase and template revision. */
export interface MotionPod {
    server: LabServer;
    phase: PodPhase;
    revision: number;
}

/** Fresh loopback addresses for new pods, as the cluster gives each new pod a new IP. */
export class PodAddresses {
    private next = 1;
    constructor(private readonly block: number) {}
    /** 127.77.<block>.<n>: every 127/8 address is on the loopback interface. */
    take(): string {
        const n = this.next++;
        return `127.77.${this.block}.${n}`;
    }
}

/**
 * The RedisFailover's `spec.bootstrapNode` (api/redisfailover/v1/types.go BootstrapSettings): while
 * set, the pass is checker.go's checkAndHealBootstrapMode.
 */
export interface BootstrapNode {
    host: string;
    port: number;
    allowSentinels: boolean;
}

export interface MotionOptions {
    dns: LabDns;
    /** The names the front finds each component's pods by. */
    names: { redis: string; sentinel: string };
    addresses: PodAddresses;
    /** The operator's resync period (factory.go: 30 s). */
    passIntervalMs?: number;
    /** The preStop hook's bound on its failover wait (render/redisShutdown.ts). */
    shutdownWaitSeconds?: number;
    /** The Sentinel Service (`sentinelName`) the preStop hook asks: see `readySentinels`. */
    sentinelService: ServiceAddress;
    log?: (line: string) => void;
    bootstrapNode?: BootstrapNode;
}

/** The operator and the kubelet around one lab group started with `PodAddresses` and shared ports. */
export class OperatorInMotion {
    readonly redis: MotionPod[];
    readonly sentinels: MotionPod[];
    /** The StatefulSet's and the Deployment's current template revision. */
    readonly revision = { redis: 1, sentinel: 1 };
    private timer?: NodeJS.Timeout;
    private passing?: Promise<string>;
    private readonly deletions = new Set<Promise<void>>();
    /** What each pass of the loop said, in order. */
    readonly outcomes: string[] = [];
    /** The custom resource's `spec.bootstrapNode` as the next pass reads it: set or cleared as `up` edits it. */
    bootstrapNode?: BootstrapNode;

    constructor(
        readonly group: LabGroup,
        readonly options: MotionOptions,
    ) {
        this.redis = group.redis.map((server) => ({ server, phase: "Running", revision: 1 }));
        this.sentinels = group.sentinels.map((server) => ({ server, phase: "Running", revision: 1 }));
        this.bootstrapNode = options.bootstrapNode;
        this.publish();
    }

    private log(line: string): void {
        this.options.log?.(line);
    }

    /**
     * The headless Services' records: every pod with an address. With publishNotReadyAddresses a
     * terminating pod stays in the endpoints too (kubernetes `pkg/controller/util/endpoint/
     * controller_utils.go`, ShouldPodBeInEndpoints: includeTerminating is publishNotReadyAddresses);
     * a Pending pod has no IP yet.
     */
    publish(): void {
        const addresses = (pods: MotionPod[]) => pods.filter((pod) => pod.phase !== "Pending").map((pod) => pod.server.host ?? HOST);
        this.options.dns.set(this.options.names.redis, addresses(this.redis));
        this.options.dns.set(this.options.names.sentinel, addresses(this.sentinels));
        this.group.redis = this.redis.map((pod) => pod.server);
        this.group.sentinels = this.sentinels.map((pod) => pod.server);
    }

    /** The operator's loop: one pass now and every `passIntervalMs` (factory.go, resync). */
    start(): void {
        const tick = () => {
            this.passing = this.pass().catch((error: Error) => `error: ${error.message}`);
            void this.passing.then((outcome) => (this.outcomes.push(outcome), this.log(`operator pass: ${outcome}`)));
        };
        tick();
        this.timer = setInterval(tick, this.options.passIntervalMs ?? RESYNC_SECONDS * 1000);
    }

    async stop(): Promise<void> {
        if (this.timer) clearInterval(this.timer);
        await this.passing;
        await Promise.all([...this.deletions]);
    }

    /** Waits for pod deletions the operator or a drill started. */
    async settled(): Promise<void> {
        await Promise.all([...this.deletions]);
    }

    /** One CheckAndHeal (checker.go); says where it stopped. */
    pass(): Promise<string> {
        const all = (pods: MotionPod[]) => pods.every((pod) => pod.phase === "Running");
        // checker.go: `if !IsRedisRunning { return nil }`, then the same for sentinels
        // (service/check.go AreAllRunning: false while any pod is Pending or being deleted).
        if (!all(this.redis)) return Promise.resolve("early return: a redis pod is not running");
        // checker.go, CheckAndHeal: `if rf.Bootstrapping() { return r.checkAndHealBootstrapMode(rf) }`,
        // which asks whether the sentinels run only after the redis steps.
        const bootstrap = this.bootstrapNode;
        if (bootstrap) return motionBootstrapPassing(this, bootstrap, all(this.sentinels));
        if (!all(this.sentinels)) return Promise.resolve("early return: a sentinel pod is not running");
        return motionRedisPassing(this).then(async (outcome) =>
            outcome.done ? `${outcome.said}; ${await motionSentinelsPassing(this, outcome.master)}` : outcome.said,
        );
    }

    /** Deletes a sentinel pod; the Deployment's ReplicaSet creates its successor from the template. */
    recreateSentinel(index: number): Promise<void> {
        return this.track(this.replaceSentinel(index));
    }

    /**
     * Deletes a redis pod as the operator does (DeletePod): the kubelet runs its preStop hook (the
     * RedisFailover's shutdown script: a master hands over first), then stops redis; the
     * StatefulSet re-creates the pod from its template.
     */
    recreateRedis(index: number, options: { preStop?: boolean } = {}): Promise<void> {
        return this.track(this.replaceRedis(index, options.preStop ?? true));
    }

    /**
     * A rollout of the sentinel Deployment after a template change, with its default strategy
     * (maxSurge 1, maxUnavailable 0 at 3 replicas: kubernetes `pkg/controller/deployment/rolling.go`
     * and `pkg/apis/apps/v1/defaults.go`): one new pod beside the old ones; once it is ready (the
     * operator's readiness probe, generator.go: it names a master other than 127.0.0.1, which takes
     * an operator pass) one old pod is deleted; again until none is old. Placement is assumed to
     * let the surge pod schedule (render/placement.ts).
     */
    rollSentinels(): Promise<void> {
        this.revision.sentinel++;
        return this.track(this.rollingSentinels());
    }

    private async rollingSentinels(): Promise<void> {
        while (this.sentinels.some((pod) => pod.revision !== this.revision.sentinel)) {
            const surge: MotionPod = {
                server: { ...this.sentinels[0].server, pid: 0 },
                phase: "Pending",
                revision: this.revision.sentinel,
            };
            this.sentinels.push(surge);
            const host = this.options.addresses.take();
            const dir = `${this.group.dir}/sentinel-${host}`;
            fs.mkdirSync(dir, { recursive: true });
            await this.startSentinelPod(surge, host, dir);
            this.log(`sentinel surge pod at ${host}:${surge.server.port}`);
            await waitFor(() => this.namesMaster(surge), 10 * RESYNC_SECONDS * 1000, "the surge sentinel ready");
            const old = this.sentinels.findIndex((pod) => pod.revision !== this.revision.sentinel);
            await this.stopPod(this.sentinels[old]);
            this.sentinels.splice(old, 1);
            this.publish();
            this.log(`old sentinel pod deleted`);
        }
    }

    /**
     * The Sentinel Service's endpoints: the sentinel pods running and ready, by the operator's
     * readiness probe (generator.go, generateSentinelDeployment), asked as the kubelet asks it.
     */
    async readySentinels(): Promise<ServiceAddress[]> {
        const running = this.sentinels.filter((pod) => pod.phase === "Running");
        const ready = await Promise.all(running.map((pod) => this.namesMaster(pod)));
        return running.filter((_, index) => ready[index]).map((pod) => ({ host: pod.server.host ?? HOST, port: pod.server.port }));
    }

    /** The sentinel readiness probe (generator.go): `get-master-addr-by-name` does not name 127.0.0.1. */
    private namesMaster(pod: MotionPod): Promise<boolean> {
        return withClient({ host: pod.server.host ?? HOST, port: pod.server.port }, undefined, async (client) => {
            const named = (await client.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME)) as string[] | null;
            return named !== null && named[0] !== "127.0.0.1";
        }).catch(() => false);
    }

    private track(work: Promise<void>): Promise<void> {
        const tracked = work.finally(() => this.deletions.delete(tracked));
        this.deletions.add(tracked);
        return tracked;
    }

    private async stopPod(pod: MotionPod): Promise<void> {
        pod.phase = "Terminating";
        try {
            process.kill(pod.server.pid, "SIGTERM");
        } catch {
            // already gone
        }
        await whenGone([pod.server.pid], 30_000);
    }

    private async replaceSentinel(index: number): Promise<void> {
        const pod = this.sentinels[index];
        await this.stopPod(pod);
        pod.phase = "Pending";
        this.publish();
        const host = this.options.addresses.take();
        await this.startSentinelPod(pod, host, pod.server.dir);
        this.log(`sentinel ${index} re-created at ${host}:${pod.server.port}`);
    }

    /**
     * Starts a sentinel pod at `host`, in `dir`, and publishes it Running at the current revision.
     * generator.go: the init container copies the ConfigMap's sentinel.conf (the template,
     * monitoring 127.0.0.1) into an emptyDir: a new pod remembers nothing.
     */
    private async startSentinelPod(pod: MotionPod, host: string, dir: string): Promise<void> {
        const { port } = pod.server;
        const pid = await startServer("redis-sentinel", labSentinelConfig(this.group.redis[0].port, { port, dir, host }), dir, false);
        pod.server = { port, pid, dir, host };
        await waitFor(() => answersPing(port, host), 5000, `sentinel on ${host}:${port}`);
        pod.phase = "Running";
        pod.revision = this.revision.sentinel;
        this.publish();
    }

    private async replaceRedis(index: number, preStop: boolean): Promise<void> {
        const pod = this.redis[index];
        pod.phase = "Terminating";
        if (preStop) await this.preStop(pod);
        await this.stopPod(pod);
        pod.phase = "Pending";
        this.publish();
        const host = this.options.addresses.take();
        const { port, dir } = pod.server;
        // The operator's redis.conf (a read-only ConfigMap mount: the old pod's CONFIG REWRITEs are
        // gone) and the rendered command line, nothing set at runtime until a pass.
        const args = operatorRedisArgs(this.group.spec);
        const pid = await startServer("redis-server", labRedisConfig(this.group.spec, { port, dir, host }), dir, false, args);
        pod.server = { port, pid, dir, host, args };
        await waitFor(() => answersPing(port, host), 10_000, `redis on ${host}:${port}`);
        pod.phase = "Running";
        pod.revision = this.revision.redis;
        this.publish();
        this.log(`redis ${index} re-created at ${host}:${port}`);
    }

    /**
     * The preStop hook the RedisFailover names (render/redisShutdown.ts), run as the kubelet runs
     * it: the rendered script under /bin/sh with real redis-cli, the Sentinel Service's variables
     * pointing at the lab's Service (lab/service.ts), REDIS_PORT and REDIS_PASSWORD as the
     * operator sets them, `hostname -i` answering the pod's address.
     */
    private async preStop(pod: MotionPod): Promise<void> {
        const sentinel = this.options.sentinelService;
        const host = pod.server.host ?? HOST;
        const dir = fs.mkdtempSync(path.join(this.group.dir, "prestop-"));
        fs.mkdirSync(path.join(dir, "bin"));
        fs.writeFileSync(path.join(dir, "bin", "hostname"), `#!/bin/sh\necho ${host}\n`, { mode: 0o755 });
        const script = path.join(dir, SHUTDOWN_SCRIPT_KEY);
        fs.writeFileSync(script, redisShutdownScript(this.group.spec.name, this.options.shutdownWaitSeconds));
        const service = sentinelServiceEnv(this.group.spec.name);
        const env = {
            PATH: `${path.join(dir, "bin")}:${process.env.PATH}`,
            [service.host]: sentinel.host,
            [service.port]: String(sentinel.port),
            REDIS_PORT: String(pod.server.port),
            REDIS_PASSWORD: this.group.spec.password,
        };
        // The kubelet runs the hook to its end (within the grace period); a failing hook does not stop the deletion.
        const output = await new Promise<string>((resolve) =>
            execFile("/bin/sh", [script], { env, timeout: REDIS_TERMINATION_GRACE_SECONDS * 1000 }, (_error, stdout, stderr) =>
                resolve(`${stdout}${stderr}`),
            ),
        );
        for (const line of output.split("\n").filter((text) => text.trim() !== "")) this.log(`preStop ${host}: ${line}`);
    }
}
