// The program while a group is moved in (instances.<p>.bootstrapFrom): what changes in the plan.

import * as assert from "assert";
import { FAILOVER_TYPE_TOKEN } from "../facts/operator";
import { SKIP_AWAIT_ANNOTATION } from "../facts/project";
import { describeResource } from "../plan/describers";
import { failoverValidator } from "./support/reference";
import { runWithConfig, stackConfig, withSetting } from "./support/stacks";

describe("program: a group moved in with bootstrapFrom", () => {
    it("renders spec.bootstrapNode for that group only, valid for the operator's CRD; skips its health check and the wait for its front", async () => {
        const config = withSetting(stackConfig("prod"), "redis-ha:instances", ["auth", "bootstrapFrom"], { host: "10.0.1.50" });
        const run = await runWithConfig("prod", config);
        const failovers = run.resources.filter((r) => r.type === FAILOVER_TYPE_TOKEN);
        const auth = failovers.find((r) => r.name === "auth-redis-failover")!;
        const spec = auth.inputs.spec as Record<string, unknown>;
        assert.deepStrictEqual(spec.bootstrapNode, { host: "10.0.1.50", port: "6379", allowSentinels: true });
        for (const other of failovers.filter((r) => r !== auth)) {
            assert.strictEqual((other.inputs.spec as Record<string, unknown>).bootstrapNode, undefined, other.name);
        }
        assert.match(describeResource(auth), /bootstrapping from 10\.0\.1\.50:6379 \(no master of its own\)/);
        const { validate } = failoverValidator();
        assert.ok(validate(auth.inputs), JSON.stringify(validate.errors));

        const checks = run.resources.filter((r) => r.name.endsWith("-health")).map((r) => r.name);
        assert.deepStrictEqual(checks.sort(), ["cache-redis-health", "streams-redis-health"]);
        const deployments = run.resources.filter((r) => r.type === "kubernetes:apps/v1:Deployment" && r.name.endsWith("-front-deployment"));
        const annotations = (name: string) =>
            ((deployments.find((r) => r.name === name)!.inputs.metadata as Record<string, unknown>).annotations ?? {}) as Record<
                string,
                string
            >;
        assert.strictEqual(annotations("auth-redis-front-deployment")[SKIP_AWAIT_ANNOTATION], "true");
        assert.strictEqual(annotations("cache-redis-front-deployment")[SKIP_AWAIT_ANNOTATION], undefined);
    });

    it("the shipped stacks move nothing in", async () => {
        const run = await runWithConfig("prod", stackConfig("prod"));
        for (const failover of run.resources.filter((r) => r.type === FAILOVER_TYPE_TOKEN)) {
            assert.strictEqual((failover.inputs.spec as Record<string, unknown>).bootstrapNode, undefined);
        }
        assert.strictEqual(run.resources.filter((r) => r.name.endsWith("-health")).length, 3);
    });
});
