import * as assert from "assert";
import { imageChangeProblem, retireWaitProblem, rotationStepProblem } from "../../config/changeRules";
import { redisImageProblem, redisReleaseOf } from "../../facts/redisVersions";
import { parseStackConfigOrThrow } from "../../config/parse";
import { ConfigError } from "../../config/errors";
import { stackConfig, withSetting } from "../support/stacks";

const KEY = "instances.auth.passwordRotation";

describe("config: rules on a change against the last deploy", () => {
    it("a rotation goes one phase at a time, and ends on the next version", () => {
        const ok = (from: object, to: object) =>
            assert.strictEqual(rotationStepProblem({ version: 1, ...from }, { version: 1, ...to }, KEY), undefined);
        ok({}, {});
        ok({}, { phase: "accept" });
        ok({ phase: "accept" }, { phase: "replicate" });
        ok({ phase: "replicate" }, { phase: "apps" });
        ok({ phase: "apps" }, { phase: "retire" });
        ok({ phase: "accept" }, {});
        assert.strictEqual(rotationStepProblem({ version: 1, phase: "retire" }, { version: 2 }, KEY), undefined);
        assert.match(rotationStepProblem({ version: 1 }, { version: 1, phase: "apps" }, KEY)!, /apps skips a phase; .* the next is accept/);
        assert.match(
            rotationStepProblem({ version: 1, phase: "apps" }, { version: 1 }, KEY)!,
            /goes back from apps: applications may already use/,
        );
        assert.match(
            rotationStepProblem({ version: 1 }, { version: 2 }, KEY)!,
            /^instances\.auth\.passwordVersion: 2 changes the password at once/,
        );
        assert.match(rotationStepProblem({ version: 1, phase: "replicate" }, { version: 2 }, KEY)!, /finish it \(retire\) first/);
    });

    it("retire waits out the applications' refresh after apps", () => {
        assert.match(
            retireWaitProblem(1_000_000, 1_000_000 + 60_000, 4500, KEY)!,
            /refused for another 4440 s: the app env moved 60 s ago/,
        );
        assert.strictEqual(retireWaitProblem(1_000_000, 1_000_000 + 4_500_000, 4500, KEY), undefined);
    });

    it("refuses a downgrade across RDB versions or onto a single-file AOF, naming the key; allows upgrades", () => {
        const key = "instances.auth.redis.image";
        assert.match(
            imageChangeProblem("redis:7.0.15", "redis:6.2.14-alpine", key)!,
            /^instances\.auth\.redis\.image: redis:6\.2\.14-alpine \(Redis 6\.2\) cannot load the RDB version 10/,
        );
        assert.match(imageChangeProblem("redis:7.2.4", "redis:7.0.15", key)!, /RDB version 11/);
        assert.strictEqual(imageChangeProblem("redis:6.2.6-alpine", "redis:7.2.4", key), undefined);
        assert.strictEqual(imageChangeProblem("redis:6.2.6", "redis:6.0.20", key), undefined);
        assert.strictEqual(imageChangeProblem("redis:7.0.15", "redis:7.0.11", key), undefined);
    });

    it("config accepts only images whose tag names a Redis release the rules know", () => {
        assert.strictEqual(redisReleaseOf("redis:7.0.15-alpine"), "7.0");
        assert.strictEqual(redisReleaseOf(`registry:5000/redis:6.2@sha256:${"a".repeat(64)}`), "6.2");
        assert.strictEqual(redisImageProblem("redis:6.2.6-alpine"), undefined);
        assert.match(redisImageProblem("redis:5.0.14")!, /Redis 5\.0; accepted are 6\.0, 6\.2, 7\.0, 7\.2/);
        assert.match(redisImageProblem("redis:alpine")!, /names no Redis version/);
        const config = withSetting(stackConfig("dev"), "redis-ha:instances", ["auth", "redis", "image"], "redis:5.0.14");
        assert.throws(
            () => parseStackConfigOrThrow(config, "dev", { secretKeys: [] }),
            (error: unknown) => error instanceof ConfigError && /instances\.auth\.redis\.image.*Redis 5\.0/.test(error.message),
        );
    });
});
