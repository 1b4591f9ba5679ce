import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import IORedis from "ioredis";
import { UsageError } from "../../cli/command";
import { parseVerifyArgs } from "../../cli/verify";
import { MASTER_NAME } from "../../facts/operator";
import { LabGroup, startGroup, stopGroup } from "../../lab/redisLab";
import { admin, quickSpec, quietPort, until, verify, verifyInBackground } from "../support/health";
import { perCore } from "../support/run";

/** The flags for a group of 2 redis (noeviction, 256mb) and `sentinels`, reached directly. */
function flags(sentinels: string, sentinelCount: number, timeout: number): string[] {
    const rest = `--master-name ${MASTER_NAME} --expect-policy noeviction --expect-redis 2 --expect-sentinels ${sentinelCount}`;
    return [
        "--sentinel",
        sentinels,
        ...`${rest} --expect-maxmemory 256mb --password-env LAB_REDIS_PASSWORD --timeout ${timeout}`.split(" "),
    ];
}

describe("cli: verify", function () {
    this.timeout(60_000);
    let root: string;
    let group: LabGroup;
    let args: string[];
    const env = { LAB_REDIS_PASSWORD: "verify-pw" };
    /** A port nothing listens on, as a fourth sentinel. */
    let nobody: number;
    /**
     * The runs that only read the group, made together in `before` (one per core at a time) rather
     * than one after another in their tests, which then assert on them.
     */
    let early: Record<string, { code: number | null; stdout: string; stderr: string }>;

    before(async () => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "redis-ha-verify-"));
        group = await startGroup(
            {
                name: "auth",
                redisCount: 2,
                sentinelCount: 3,
                password: "verify-pw",
                maxmemory: "256mb",
                maxmemoryPolicy: "noeviction",
                appendonly: true,
                downAfterMilliseconds: 1000,
                failoverTimeout: 3000,
                replicaSyncDelaySeconds: 0,
                masterName: MASTER_NAME,
            },
            root,
        );
        args = flags(group.sentinels.map((s) => `127.0.0.1:${s.port}`).join(","), 3, 3);
        nobody = await quietPort();
        const run = (runArgs: string[], runEnv: Record<string, string> = env) => {
            return () => verifyInBackground(runArgs, runEnv).done;
        };
        early = await perCore({
            healthy: run(args),
            json: run([...args, "--json"]),
            wrongPassword: run(args, { LAB_REDIS_PASSWORD: "wrong" }),
            otherMaster: run(args.map((a) => (a === MASTER_NAME ? "othermaster" : a))),
            otherMaxmemory: run(args.map((a) => (a === "256mb" ? "1gb" : a))),
            unreachable: run(args.map((a) => (a.includes(",") ? `${a},127.0.0.1:${nobody}` : a))),
            bogusFlag: run([...args, "--bogus"]),
            noSuchVariable: run([...args, "--password-env", "NO_SUCH_VARIABLE_FOR_VERIFY"]),
            help: run(["--help"], {}),
            missingKubeconfig: run([
                ...["--namespace", "redis", "--name", "auth-redis", "--kubeconfig", path.join(root, "missing-kubeconfig")],
                ...args.slice(2),
            ]),
        });
    });
    after(async () => {
        await stopGroup(group);
        fs.rmSync(root, { recursive: true, force: true });
    });

    it("exits 0 on a healthy group and prints a table of checks", () => {
        const run = early.healthy;
        assert.strictEqual(run.code, 0, run.stdout + run.stderr);
        assert.match(run.stdout, /^ok {4}sentinels-reachable +3\/3 answer$/m);
        assert.match(run.stdout, /^healthy: master 127\.0\.0\.1:\d+/m);
    });

    it("prints the report as JSON with --json", () => {
        const run = early.json;
        assert.strictEqual(run.code, 0, run.stderr);
        const report = JSON.parse(run.stdout);
        assert.strictEqual(report.healthy, true);
        assert.strictEqual(report.checks.length, 14);
    });

    it("exits 1 naming a replica with the wrong policy", async () => {
        const replica = new IORedis({ host: "127.0.0.1", port: group.redis[1].port, password: "verify-pw", lazyConnect: true });
        await replica.connect();
        await replica.config("SET", "maxmemory-policy", "allkeys-lru");
        try {
            const run = verify(args, env);
            assert.strictEqual(run.code, 1);
            assert.match(
                run.stdout,
                new RegExp(`^FAIL {2}maxmemory-policy +expected noeviction; 127.0.0.1:${group.redis[1].port} has allkeys-lru$`, "m"),
            );
            assert.match(run.stdout, /^UNHEALTHY/m);
        } finally {
            await replica.config("SET", "maxmemory-policy", "noeviction");
            replica.disconnect();
        }
    });

    it("exits 1 naming a wrong password, an unknown master and a maxmemory that differs", () => {
        let run = early.wrongPassword;
        assert.strictEqual(run.code, 1);
        assert.match(run.stdout, /^FAIL {2}redis-reachable +.*authentication failed/m);
        run = early.otherMaster;
        assert.strictEqual(run.code, 1);
        assert.match(run.stdout, /^FAIL {2}master-known +.*know no master named "othermaster"/m);
        run = early.otherMaxmemory;
        assert.strictEqual(run.code, 1);
        assert.match(run.stdout, /^FAIL {2}maxmemory +expected 1073741824 bytes/m);
    });

    it("exits 1 within --timeout when a sentinel is unreachable or hangs", async () => {
        assert.strictEqual(early.unreachable.code, 1);
        assert.match(early.unreachable.stdout, new RegExp(`^FAIL {2}sentinels-reachable +3/4 answer; 127.0.0.1:${nobody}`, "m"));

        process.kill(group.sentinels[2].pid, "SIGSTOP");
        try {
            const run = verify(
                args.map((a) => (a === "3" && args[args.indexOf(a) - 1] === "--timeout" ? "2" : a)),
                env,
            );
            assert.strictEqual(run.code, 1);
            assert.match(
                run.stdout + run.stderr,
                new RegExp(`127.0.0.1:${group.sentinels[2].port}: .*(timed out|no answer)|no complete answer within 2s`),
            );
            // The work, not the process start-up: timed from when verify's modules were loaded, as
            // verify itself reports it (a busy machine stretches start-up by seconds).
            assert.ok(run.workMs < 2000 + 1500, `ended ${run.workMs} ms after start-up (${run.ms} ms in all)`);
        } finally {
            process.kill(group.sentinels[2].pid, "SIGCONT");
        }
    });

    it("refuses bad usage, naming the flag", () => {
        process.env.LAB_REDIS_PASSWORD = env.LAB_REDIS_PASSWORD;
        try {
            for (const [bad, why] of [
                [["--master-name", "m"], /--expect-policy is required/],
                [[...args, "--bogus"], /Unknown option '--bogus'/],
                [[...args, "stray"], /stray/],
                [[...args, "--timeout"], /--timeout/],
                [args.map((a) => (a === "noeviction" ? "lru" : a)), /--expect-policy must be one of/],
                [args.map((a) => (a === "2" ? "two" : a)), /--expect-redis takes a whole number of at least 1, got "two"/],
                [args.map((a) => (a === "256mb" ? "lots" : a)), /--expect-maxmemory lots is not a Redis size/],
                [
                    [...args, "--password-env", "NO_SUCH_VARIABLE_FOR_VERIFY"],
                    /--password-env NO_SUCH_VARIABLE_FOR_VERIFY: no such environment variable/,
                ],
            ] as Array<[string[], RegExp]>) {
                assert.throws(
                    () => parseVerifyArgs(bad),
                    (error: Error) => error instanceof UsageError && why.test(error.message),
                    bad.join(" "),
                );
            }
        } finally {
            delete process.env.LAB_REDIS_PASSWORD;
        }
    });

    it("exits 2 on bad usage, with the usage and no stack trace", () => {
        for (const bad of ["bogusFlag", "noSuchVariable"]) {
            const run = early[bad];
            assert.strictEqual(run.code, 2, bad);
            assert.match(run.stderr, /^usage: npm run verify -- /m);
            assert.doesNotMatch(run.stderr, /^\s+at /m, "no stack trace");
        }
    });

    it("prints its usage with --help and exits 0", () => {
        const run = early.help;
        assert.strictEqual(run.code, 0, run.stderr);
        assert.match(run.stdout, /^usage: npm run verify -- /);
        const all =
            "--sentinel --members --front --kubeconfig --namespace --name --master-name --expect-policy --expect-redis --expect-sentinels";
        for (const flag of `${all} --expect-maxmemory --password-env --wait --timeout --allow-external-services --json`.split(" ")) {
            assert.ok(run.stdout.includes(flag), `usage names ${flag}`);
        }
    });

    it("parses the flags into a command, either reach but not both", () => {
        process.env.LAB_REDIS_PASSWORD = env.LAB_REDIS_PASSWORD;
        try {
            const command = parseVerifyArgs([...args, "--json", "--timeout=7"]);
            assert.deepStrictEqual(
                command.sentinels,
                group.sentinels.map((s) => `127.0.0.1:${s.port}`),
            );
            assert.deepStrictEqual(command.expected, {
                masterName: MASTER_NAME,
                maxmemoryPolicy: "noeviction",
                maxmemoryBytes: 256 * 1024 * 1024,
                redisCount: 2,
                sentinelCount: 3,
            });
            assert.strictEqual(command.timeoutSeconds, 7);
            assert.strictEqual(command.json, true);
            assert.deepStrictEqual([command.wait, command.allowExternalServices], [false, false]);
            const waiting = parseVerifyArgs([...args, "--wait", "--allow-external-services"]);
            assert.deepStrictEqual([waiting.wait, waiting.allowExternalServices], [true, true]);
            const kube = parseVerifyArgs(["--namespace", "redis", "--name", "auth-redis", "--kubeconfig", "/dev/null", ...args.slice(2)]);
            assert.deepStrictEqual(kube.kubernetes, { kubeconfigFile: "/dev/null", namespace: "redis", name: "auth-redis" });
            assert.strictEqual(kube.sentinels, undefined);
            assert.throws(() => parseVerifyArgs([...args.slice(0, 2), "--namespace", "redis", ...args.slice(2)]), UsageError);
            assert.throws(() => parseVerifyArgs(args.slice(2)), /--sentinel, or --namespace and --name, is required/);
            assert.throws(() => parseVerifyArgs(["--sentinel", "no-port", ...args.slice(2)]), /--sentinel: "no-port" is not host:port/);
        } finally {
            delete process.env.LAB_REDIS_PASSWORD;
        }
    });

    it("exits 1 with one clean line when the kubeconfig cannot be read", () => {
        const run = early.missingKubeconfig;
        assert.strictEqual(run.code, 1, run.stdout + run.stderr);
        assert.match(run.stderr, /^verify: .*ENOENT.*missing-kubeconfig/);
        assert.strictEqual(run.stderr.trim().split("\n").length, 1, run.stderr);
    });

    describe("--wait", () => {
        /** The arguments for one sentinel at `port` of a quickSpec group, waiting up to `timeout` seconds. */
        const waitArgs = (port: number, timeout: number) => flags(`127.0.0.1:${port}`, 1, timeout);

        it("exits 0 once a group that starts after it is healthy, with progress on stderr", async () => {
            const port = await quietPort();
            const run = verifyInBackground([...waitArgs(port, 15), "--wait"], env);
            // Only how long to wait: it includes verify's start-up, which a busy machine stretches.
            await until(async () => run.stderr().includes("not healthy after"), 25_000, "a first round");
            const late = await startGroup(quickSpec({ name: "late", password: "verify-pw", ports: { sentinels: [port] } }), root);
            try {
                const done = await run.done;
                assert.strictEqual(done.code, 0, done.stdout + done.stderr);
                assert.match(
                    done.stderr,
                    new RegExp(
                        `^verify: not healthy after \\d+s of 15s: sentinels-reachable: 0/1 answer; 127.0.0.1:${port}: .*ECONNREFUSED`,
                        "m",
                    ),
                );
                assert.match(done.stdout, /^healthy: master 127\.0\.0\.1:\d+/m);
            } finally {
                await stopGroup(late);
            }
        });

        it("exits 1 within its timeout, naming what fails, when the group never comes", async () => {
            const port = await quietPort();
            const run = await verifyInBackground([...waitArgs(port, 1), "--wait"], env).done;
            assert.strictEqual(run.code, 1, run.stdout + run.stderr);
            assert.match(run.stdout, new RegExp(`^FAIL {2}sentinels-reachable +0/1 answer; 127.0.0.1:${port}: .*ECONNREFUSED`, "m"));
            assert.match(
                run.stderr,
                /^verify: not healthy within 1s: sentinels-reachable: 0\/1 answer; .*; 13 checks not run \(no sentinel answers\)$/m,
            );
            // Its own rounds, not its start-up: one at once, one after the 1 s pause, then it gives up.
            assert.ok(run.workMs < 1000 + 2000, `ended ${run.workMs} ms after start-up (${run.ms} ms in all)`);
            assert.ok(run.stderr.split("\n").filter((line) => line.startsWith("verify: not healthy after")).length <= 2, run.stderr);
        });
    });

    // Each fault on a fresh 2 redis + 1 sentinel group; what the rules find is tested in
    // tests/health, here only that the command reports it and exits 1.
    describe("faults that change the group", () => {
        let fresh: LabGroup;
        let freshArgs: string[];
        beforeEach(async () => {
            fresh = await startGroup(quickSpec({ name: "fault", password: "verify-pw" }), root);
            freshArgs = flags(`127.0.0.1:${fresh.sentinels[0].port}`, 1, 3);
        });
        afterEach(() => stopGroup(fresh));

        it("exits 1 naming a killed master", () => {
            process.kill(fresh.redis[0].pid, "SIGKILL");
            const run = verify(freshArgs, env);
            assert.strictEqual(run.code, 1);
            assert.match(run.stdout, new RegExp(`^FAIL {2}redis-reachable +127.0.0.1:${fresh.redis[0].port}: .*ECONNREFUSED`, "m"));
        });

        it("exits 1 naming a replica whose link is down", async () => {
            const replica = await admin(fresh, 1);
            await replica.config("SET", "masterauth", "wrong");
            await replica.call("CLIENT", "KILL", "TYPE", "master");
            for (let i = 0; i < 50 && !/master_link_status:down/.test(await replica.info("replication")); i++)
                await new Promise((r) => setTimeout(r, 100));
            replica.disconnect();
            const run = verify(freshArgs, env);
            assert.strictEqual(run.code, 1);
            assert.match(run.stdout, new RegExp(`^FAIL {2}replication +.*127.0.0.1:${fresh.redis[1].port} master_link_status:down`, "m"));
        });

        it("exits 1 naming split brain", async () => {
            const replica = await admin(fresh, 1);
            await replica.call("REPLICAOF", "NO", "ONE");
            replica.disconnect();
            const run = verify(freshArgs, env);
            assert.strictEqual(run.code, 1);
            assert.match(run.stdout, /^FAIL {2}single-master +split brain: 2 servers report role:master/m);
        });
    });
});
