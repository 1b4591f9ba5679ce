import * as pulumi from "@pulumi/pulumi";
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ChangePreflightInputs, changePreflightProvider, changeProblems, readHealth, readStarts } from "../../providers/changePreflight";
import { labExpectations, LabGroup, startGroup, stopGroup, whenGone } from "../../lab/redisLab";
import { quickSpec } from "../support/health";
import { PROJECT_DIR } from "../support/stacks";

const base: ChangePreflightInputs = {
    configKey: "instances.auth",
    sentinels: ["127.0.0.1:1"],
    expected: { masterName: "mymaster", maxmemoryPolicy: "noeviction", redisCount: 3, sentinelCount: 3 },
    password: "pw",
    passwordVersion: 1,
    redisImage: "redis:7.0.15",
    holdsData: true,
    retireWaitSeconds: 600,
};

describe("providers: the change preflight (refuses at preview)", () => {
    const healthy = async () => [];
    const sick = async () => ["replica-count: sentinel 10.0.0.5:26379 sees 1 healthy replica(s) of 2"];

    it("lets a first deploy through without asking the group", async () => {
        let asked = 0;
        const { problems } = await changeProblems(undefined, { ...base, passwordRotation: "apps" }, 0, async () => (asked++, []));
        assert.deepStrictEqual([problems, asked], [[], 0]);
    });

    it("refuses a rotation step or an image change on a group that is not healthy, naming what is wrong", async () => {
        const step = await changeProblems(base, { ...base, passwordRotation: "accept" }, 0, sick);
        assert.deepStrictEqual(step.problems, [
            "instances.auth: a password rotation step is refused while the group (sentinels 127.0.0.1:1) is not healthy: " +
                "replica-count: sentinel 10.0.0.5:26379 sees 1 healthy replica(s) of 2",
        ]);
        const image = await changeProblems(base, { ...base, redisImage: "redis:7.2.4" }, 0, sick);
        assert.match(image.problems[0], /^instances\.auth: an image change is refused while the group .* is not healthy: replica-count/);
        assert.deepStrictEqual((await changeProblems(base, { ...base, passwordRotation: "accept" }, 0, healthy)).problems, []);
        // No change: the group's health is not this preflight's business (the post-deploy check's).
        assert.deepStrictEqual((await changeProblems(base, base, 0, sick)).problems, []);
    });

    it("refuses a skipped phase, a downgrade and a retire too soon without asking the group", async () => {
        const never = async (): Promise<string[]> => assert.fail("the group was asked");
        const skip = await changeProblems(base, { ...base, passwordRotation: "replicate" }, 0, never);
        assert.match(skip.problems[0], /^instances\.auth\.passwordRotation: replicate skips a phase/);
        const down = await changeProblems(base, { ...base, redisImage: "redis:6.2.14" }, 0, never);
        assert.match(down.problems[0], /^instances\.auth\.redis\.image: redis:6\.2\.14 \(Redis 6\.2\) cannot load the RDB version 10/);
        // The app env moved at t=1000 s (recorded by the check at apps); retire 100 s later is refused.
        const apps = await changeProblems(
            { ...base, passwordRotation: "replicate" },
            { ...base, passwordRotation: "apps" },
            1_000_000,
            healthy,
        );
        assert.strictEqual(apps.inputs.appsAt, 1_000_000);
        const soon = await changeProblems(apps.inputs, { ...base, passwordRotation: "retire" }, 1_100_000, never);
        assert.match(soon.problems[0], /retire is refused for another 500 s/);
        // Every redis re-created after the app env moved: retire goes ahead.
        const fresh = async () => [{ name: "10.0.1.5:6379", startedAtMs: 1_200_000 }];
        const later = await changeProblems(apps.inputs, { ...base, passwordRotation: "retire" }, 1_700_000, healthy, fresh);
        assert.deepStrictEqual(later.problems, []);
        // One still running since before: its readiness probe and exporter hold the old password.
        const stale = async () => [...(await fresh()), { name: "10.0.1.6:6379", startedAtMs: 900_000 }];
        const refused = await changeProblems(apps.inputs, { ...base, passwordRotation: "retire" }, 1_700_000, healthy, stale);
        assert.match(refused.problems[0], /retire is refused while redis 10\.0\.1\.6:6379 has run since before apps: its readiness probe/);
        assert.strictEqual(later.inputs.appsAt, 1_000_000, "the time the app env moved is carried to the next deploy");
    });

    describe("with the post-deploy checks against a real group", () => {
        let group: LabGroup;
        let root: string;
        before(async () => {
            root = fs.mkdtempSync(path.join(os.tmpdir(), "redis-ha-preflight-"));
            group = await startGroup(quickSpec({ name: "preflight", redisCount: 2, sentinelCount: 1 }), root);
        });
        after(async () => {
            if (group) await stopGroup(group);
            fs.rmSync(root, { recursive: true, force: true });
        });

        it("lets a step through on the healthy group and refuses it once a replica is gone, naming the check", async () => {
            const inputs: ChangePreflightInputs = {
                ...base,
                sentinels: group.sentinels.map((s) => `127.0.0.1:${s.port}`),
                expected: labExpectations(group),
                password: group.spec.password,
            };
            assert.deepStrictEqual((await changeProblems(inputs, { ...inputs, passwordRotation: "accept" }, 0, readHealth)).problems, []);
            // The servers' start times, from their uptime: all started before now, none before a second ago minus the run.
            const starts = await readStarts(inputs);
            assert.strictEqual(starts.length, 2);
            for (const server of starts)
                assert.ok(server.startedAtMs <= Date.now() && server.startedAtMs > Date.now() - 600_000, server.name);
            process.kill(group.redis[1].pid, "SIGKILL");
            await whenGone([group.redis[1].pid]);
            const { problems } = await changeProblems(inputs, { ...inputs, passwordRotation: "accept" }, 0, readHealth);
            assert.match(
                problems[0] ?? "",
                /a password rotation step is refused while the group .* is not healthy: .*(replica-count|replication)/,
            );
        });
    });

    it("refuses from Pulumi's serialized provider, in a fresh process, as preview runs its check", async () => {
        const serialized = await pulumi.runtime.serializeFunction(() => changePreflightProvider, { allowSecrets: false });
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "redis-ha-preflight-"));
        try {
            const file = path.join(dir, "provider.js");
            fs.writeFileSync(file, serialized.text);
            const olds = { ...base, passwordRotation: "accept" };
            const script = `require(${JSON.stringify(file)}).${serialized.exportName}().check(${JSON.stringify(olds)}, ${JSON.stringify({ ...base, passwordRotation: "retire", redisImage: "redis:6.2.6" })})
                .then((r) => console.log(JSON.stringify(r.failures ?? [])), (e) => { console.error(e.message); process.exit(1); });`;
            const run = spawnSync(process.execPath, ["-e", script], {
                env: { ...process.env, NODE_PATH: path.join(PROJECT_DIR, "node_modules"), NODE_OPTIONS: "" },
                encoding: "utf8",
            });
            const reasons = (JSON.parse(run.stdout) as Array<{ reason: string }>).map((failure) => failure.reason);
            assert.strictEqual(reasons.length, 2, run.stderr);
            assert.match(reasons[0], /passwordRotation: retire skips a phase/);
            assert.match(reasons[1], /redis\.image: redis:6\.2\.6 \(Redis 6\.2\) cannot load/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
