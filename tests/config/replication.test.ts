import * as assert from "assert";
import { parseStackConfig, parseStackConfigOrThrow } from "../../config/parse";
import { stackConfig, withSetting } from "../support/stacks";

const INSTANCES = "redis-ha:instances";

function issueAt(config: Record<string, string>, key: string): string {
    const issue = parseStackConfig(config).issues.find((i) => i.key === key);
    assert.ok(issue, `expected an issue at ${key}, got ${JSON.stringify(parseStackConfig(config).issues)}`);
    return issue.message;
}

const redisOf = (config: Record<string, string>, purpose: string) =>
    parseStackConfigOrThrow(config).instances.find((i) => i.purpose === purpose)!.redis;

describe("config: replication safety (min-replicas-to-write)", () => {
    const [dev, prod] = [stackConfig("dev"), stackConfig("prod")];

    it("defaults to 1 replica within 3 s for data-holding instances of highly available stacks, 0 (off) elsewhere", () => {
        assert.deepStrictEqual(
            ["auth", "streams", "cache"].map((p) => [redisOf(prod, p).minReplicasToWrite, redisOf(prod, p).minReplicasMaxLag]),
            [
                [1, 3],
                [0, 3],
                [0, 3],
            ],
        );
        assert.deepStrictEqual(
            ["auth", "streams", "cache"].map((p) => redisOf(dev, p).minReplicasToWrite),
            [0, 0, 0],
            "dev's data-holding auth has no replica to wait for",
        );
    });

    it("takes both from config", () => {
        let config = withSetting(prod, INSTANCES, ["cache", "redis", "minReplicasToWrite"], 1);
        config = withSetting(config, INSTANCES, ["cache", "redis", "minReplicasMaxLag"], 5);
        assert.deepStrictEqual([redisOf(config, "cache").minReplicasToWrite, redisOf(config, "cache").minReplicasMaxLag], [1, 5]);
        assert.strictEqual(redisOf(withSetting(prod, INSTANCES, ["auth", "redis", "minReplicasToWrite"], 0), "auth").minReplicasToWrite, 0);
    });

    it("refuses more than replicas - 1, naming the key", () => {
        const config = withSetting(prod, INSTANCES, ["auth", "redis", "minReplicasToWrite"], 3);
        assert.match(
            issueAt(config, `${INSTANCES}.auth.redis.minReplicasToWrite`),
            /3 is more than the 2 replica\(s\) of 3 redis \(replicas - 1\): the master would refuse every write/,
        );
        assert.match(
            issueAt(withSetting(dev, INSTANCES, ["auth", "redis", "minReplicasToWrite"], 1), `${INSTANCES}.auth.redis.minReplicasToWrite`),
            /1 is more than the 0 replica/,
        );
    });

    it("refuses a negative count and a lag of 0 (which Redis reads as off)", () => {
        assert.match(
            issueAt(
                withSetting(prod, INSTANCES, ["auth", "redis", "minReplicasToWrite"], -1),
                `${INSTANCES}.auth.redis.minReplicasToWrite`,
            ),
            /at least 0/,
        );
        assert.match(
            issueAt(withSetting(prod, INSTANCES, ["auth", "redis", "minReplicasMaxLag"], 0), `${INSTANCES}.auth.redis.minReplicasMaxLag`),
            /between 1 and 3600/,
        );
    });

    it("refuses the directives as free-form lines: the typed settings own them", () => {
        const config = withSetting(
            prod,
            INSTANCES,
            ["cache", "redis", "customConfig"],
            ["min-replicas-to-write 1", "min-slaves-max-lag 5"],
        );
        assert.match(
            issueAt(config, `${INSTANCES}.cache.redis.customConfig[0]`),
            /sets "min-replicas-to-write", which is set by this program/,
        );
        assert.match(issueAt(config, `${INSTANCES}.cache.redis.customConfig[1]`), /sets "min-slaves-max-lag"/);
    });
});

describe("config: AOF fsync of data-holding instances", () => {
    const prod = stackConfig("prod");

    it("defaults to everysec and accepts always", () => {
        assert.strictEqual(redisOf(prod, "auth").appendfsync, "everysec");
        assert.strictEqual(redisOf(withSetting(prod, INSTANCES, ["auth", "redis", "appendfsync"], "always"), "auth").appendfsync, "always");
    });

    it("refuses no, a typo, and the same setting as a customConfig line on a data-holding instance", () => {
        assert.match(
            issueAt(withSetting(prod, INSTANCES, ["auth", "redis", "appendfsync"], "no"), `${INSTANCES}.auth.redis.appendfsync`),
            /everysec/,
        );
        assert.match(
            issueAt(withSetting(prod, INSTANCES, ["auth", "redis", "appendfsync"], "everysecond"), `${INSTANCES}.auth.redis.appendfsync`),
            /always/,
        );
        const line = withSetting(prod, INSTANCES, ["auth", "redis", "customConfig"], ["appendfsync always"]);
        assert.match(issueAt(line, `${INSTANCES}.auth.redis.customConfig[0]`), /redis\.appendfsync/);
    });
});
