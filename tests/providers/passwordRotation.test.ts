import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { RotationStepInputs, rotationStepProvider } from "../../providers/passwordRotation";
import { passwordPlan, RotationPhase } from "../../render/passwordRotation";
import { withClient } from "../../lab/operator/steps";
import { labExpectations, LabGroup, startGroup, stopGroup } from "../../lab/redisLab";
import { quickSpec } from "../support/health";

describe("providers: the password rotation step, on a real group", () => {
    let group: LabGroup;
    let root: string;
    const [old, next] = ["rotation-old-1", "rotation-new-2"];
    before(async () => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "redis-ha-rotation-step-"));
        group = await startGroup(quickSpec({ name: "step", redisCount: 2, sentinelCount: 1, password: old }), root);
    });
    after(async () => {
        if (group) await stopGroup(group);
        fs.rmSync(root, { recursive: true, force: true });
    });

    const inputs = (phase: RotationPhase): RotationStepInputs => {
        const plan = passwordPlan(1, phase);
        const of = (version: number) => (version === 1 ? old : next);
        return {
            sentinels: group.sentinels.map((s) => `127.0.0.1:${s.port}`),
            expected: labExpectations(group),
            accepted: plan.accepted.map(of),
            replication: of(plan.replication),
            known: plan.versions.map(of),
            phase,
            version: 1,
        };
    };
    const accepts = (password: string) =>
        Promise.all(
            group.redis.map((s) =>
                withClient({ host: "127.0.0.1", port: s.port }, password, (c) => c.ping()).then(
                    () => true,
                    () => false,
                ),
            ),
        );
    const masterauth = () =>
        Promise.all(
            group.redis.map((s) =>
                withClient({ host: "127.0.0.1", port: s.port }, next, (c) => c.config("GET", "masterauth")).then((r) => (r as string[])[1]),
            ),
        );

    it("applies each phase to every redis and sentinel, and records no password", async () => {
        const created = await rotationStepProvider.create!(inputs("accept"));
        assert.deepStrictEqual(
            [await accepts(old), await accepts(next)],
            [
                [true, true],
                [true, true],
            ],
        );
        assert.ok(!JSON.stringify(created.outs).includes(old) && !JSON.stringify(created.outs).includes(next), "a password in the outputs");
        await rotationStepProvider.update!(created.id, created.outs, inputs("replicate"));
        assert.deepStrictEqual(await masterauth(), [next, next]);
        await rotationStepProvider.update!(created.id, created.outs, inputs("apps"));
        await rotationStepProvider.update!(created.id, created.outs, inputs("retire"));
        assert.deepStrictEqual(
            [await accepts(old), await accepts(next)],
            [
                [false, false],
                [true, true],
            ],
        );
        // Applying retire again (a resumed up) ends the same.
        await rotationStepProvider.update!(created.id, created.outs, inputs("retire"));
        assert.deepStrictEqual(await accepts(next), [true, true]);
    });

    it("re-applies only when the phase or the version changes", async () => {
        const diff = (olds: object, news: RotationStepInputs) => rotationStepProvider.diff!("id", olds, news).then((d) => d.changes);
        assert.strictEqual(await diff({ phase: "retire", version: 1 }, inputs("retire")), false);
        assert.strictEqual(await diff({ phase: "apps", version: 1 }, inputs("retire")), true);
    });
});
