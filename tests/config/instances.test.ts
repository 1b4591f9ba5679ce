import * as assert from "assert";
import { parseStackConfigOrThrow } from "../../config/parse";
import { formatBytes } from "../../config/schema/instances";
import { redisCommand } from "../../render/redisConfig";
import { assertAccepted, assertRejected, INSTANCES } from "../support/config";
import { stackConfig, withSetting } from "../support/stacks";

describe("config/schema/instances: sizes in messages", () => {
    it("formats bytes in the largest binary unit that keeps them readable", () => {
        assert.strictEqual(formatBytes(384 * 1024 ** 2), "384Mi");
        assert.strictEqual(formatBytes(1.5 * 1024 ** 3), "1.5Gi");
        assert.strictEqual(formatBytes(2048), "2Ki");
        assert.strictEqual(formatBytes(10), "10B");
    });
});

describe("config/schema/instances: every typed setting applied or refused", () => {
    const prod = stackConfig("prod");
    const set = (at: Array<string | number>, value: unknown, config = prod) => withSetting(config, INSTANCES, at, value);
    const commandOf = (config: Record<string, string>, purpose: string) =>
        redisCommand(parseStackConfigOrThrow(config).instances.find((i) => i.purpose === purpose)!);

    it("refuses redis.appendfsync on an instance without AOF, where Redis never reads it", () => {
        assertRejected(
            set(["streams", "redis", "appendfsync"], "always"),
            `${INSTANCES}.streams.redis.appendfsync`,
            /^"always" does nothing here: this instance runs without AOF \(redis.appendonly is false and it holds no data\)/,
        );
        assertRejected(set(["cache", "redis", "appendfsync"], "everysec"), `${INSTANCES}.cache.redis.appendfsync`, /without AOF/);
    });

    it("accepts it with AOF on, and puts it on the command line then", () => {
        const aof = set(["streams", "redis", "appendonly"], true);
        const config = set(["streams", "redis", "appendfsync"], "always", aof);
        assertAccepted(config);
        const command = commandOf(config, "streams");
        assert.deepStrictEqual(command.slice(command.indexOf("--appendonly"), command.indexOf("--appendonly") + 4), [
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
        ]);
        assert.ok(!commandOf(prod, "streams").includes("--appendfsync"), "without AOF: no fsync on the command line");
    });

    it("refuses an appendfsync customConfig line with AOF on (the typed setting owns it) and off (it does nothing)", () => {
        const aof = set(["streams", "redis", "appendonly"], true);
        assertRejected(
            set(["streams", "redis", "customConfig"], ["appendfsync always"], aof),
            `${INSTANCES}.streams.redis.customConfig[0]`,
            /is set from redis.appendfsync where AOF is on/,
        );
        assertRejected(
            set(["streams", "redis", "customConfig"], ["appendfsync always"]),
            `${INSTANCES}.streams.redis.customConfig[0]`,
            /does nothing: this instance runs without AOF/,
        );
    });

    it("refuses replica-priority 0, which makes every replica of the group unpromotable; accepts another priority", () => {
        for (const line of ["replica-priority 0", "slave-priority 00"])
            assertRejected(
                set(["cache", "redis", "customConfig"], ["hz 20", line]),
                `${INSTANCES}.cache.redis.customConfig[1]`,
                /on every redis of the group: Sentinel never promotes a replica of priority 0, so a lost master would never be replaced$/,
            );
        assertAccepted(set(["cache", "redis", "customConfig"], ["replica-priority 10"]));
    });
});
