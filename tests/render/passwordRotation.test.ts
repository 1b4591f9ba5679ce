import * as assert from "assert";
import { goDurationSeconds } from "../../facts/patterns";
import { passwordPlan, retireWaitSeconds, RETIRE_MARGIN_SECONDS } from "../../render/passwordRotation";
import { ROTATION_PHASES } from "../../config/schema/instances";
import { parseStackConfigOrThrow } from "../../config/parse";
import { frontDeploymentSpec, PASSWORD_VERSION_ANNOTATION } from "../../render/front";
import { renderOptions, stackConfig } from "../support/stacks";

describe("render: password rotation phases", () => {
    it("every phase keeps each party's password among those every server accepts", () => {
        for (const phase of [undefined, ...ROTATION_PHASES]) {
            const plan = passwordPlan(3, phase);
            for (const used of [plan.replication, plan.secret, plan.apps]) {
                assert.ok(plan.accepted.includes(used), `${phase}: version ${used} is used but not accepted`);
                assert.ok(plan.versions.includes(used), `${phase}: version ${used} is not generated`);
            }
        }
    });

    it("moves one party per phase, in order: servers, replication, Secret and apps, then the old password out", () => {
        assert.deepStrictEqual(passwordPlan(1), { versions: [1], accepted: [1], replication: 1, secret: 1, apps: 1 });
        assert.deepStrictEqual(passwordPlan(1, "accept"), { versions: [1, 2], accepted: [1, 2], replication: 1, secret: 1, apps: 1 });
        assert.deepStrictEqual(passwordPlan(1, "replicate"), { versions: [1, 2], accepted: [1, 2], replication: 2, secret: 1, apps: 1 });
        assert.deepStrictEqual(passwordPlan(1, "apps"), { versions: [1, 2], accepted: [1, 2], replication: 2, secret: 2, apps: 2 });
        // retire renders what the next version without a rotation renders: the last step is a no-op.
        assert.deepStrictEqual(passwordPlan(1, "retire"), passwordPlan(2));
    });

    it("a phase's neighbours differ in at most what that phase moves, so stopping after any phase is a consistent state", () => {
        const plans = [passwordPlan(1), ...ROTATION_PHASES.map((phase) => passwordPlan(1, phase))];
        for (let i = 1; i < plans.length; i++) {
            // Whatever a party used before the phase is still accepted after it, except at retire (apps already moved).
            const before = plans[i - 1];
            const after = plans[i];
            if (i < plans.length - 1)
                for (const used of [before.replication, before.secret, before.apps]) assert.ok(after.accepted.includes(used));
        }
    });

    it("retire waits for the longest ExternalSecret refresh plus a margin", () => {
        assert.strictEqual(goDurationSeconds("1h30m"), 5400);
        assert.strictEqual(goDurationSeconds("90s"), 90);
        assert.strictEqual(retireWaitSeconds(["1h", "15m"]), 3600 + RETIRE_MARGIN_SECONDS);
        assert.strictEqual(retireWaitSeconds([]), RETIRE_MARGIN_SECONDS);
    });

    it("rolls the front's pods when the Secret's password moves (apps), and only then", () => {
        const prod = parseStackConfigOrThrow(stackConfig("prod"));
        const auth = prod.instances[0];
        const versionAt = (phase?: (typeof ROTATION_PHASES)[number]) =>
            frontDeploymentSpec({ ...auth, passwordRotation: phase }, renderOptions(prod), "c".repeat(64)).template.metadata.annotations[
                PASSWORD_VERSION_ANNOTATION
            ];
        // Absent until the first rotation's apps: a group that never rotated keeps its pod template.
        assert.deepStrictEqual([undefined, ...ROTATION_PHASES].map(versionAt), [undefined, undefined, undefined, "2", "2"]);
        const second = (phase?: (typeof ROTATION_PHASES)[number]) =>
            frontDeploymentSpec({ ...auth, passwordVersion: 2, passwordRotation: phase }, renderOptions(prod), "c".repeat(64)).template
                .metadata.annotations[PASSWORD_VERSION_ANNOTATION];
        assert.deepStrictEqual([undefined, ...ROTATION_PHASES].map(second), ["2", "2", "2", "3", "3"]);
    });
});
