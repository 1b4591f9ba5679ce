import * as assert from "assert";
import { parseStackConfig, parseStackConfigOrThrow } from "../../config/parse";
import { stackConfig, withSetting } from "../support/stacks";

const KEY = "redis-ha:appSecrets";
const dev = stackConfig("dev");
const prod = stackConfig("prod");

function rejected(config: Record<string, string>, key: string, why: RegExp, stack = "dev") {
    const result = parseStackConfig(config, stack);
    const issue = result.issues.find((i) => i.key === key);
    assert.ok(issue, `expected an issue at ${key}, got ${JSON.stringify(result.issues)}`);
    assert.match(issue.message, why);
    assert.strictEqual(result.config, undefined);
}

describe("config: appSecrets", () => {
    describe("recoveryWindowInDays", () => {
        it("defaults to 0 where data is not protected and 7 where it is", () => {
            const unset = (config: Record<string, string>) => withSetting(config, KEY, ["recoveryWindowInDays"], undefined);
            assert.strictEqual(parseStackConfigOrThrow(unset(dev)).appSecrets.recoveryWindowInDays, 0);
            assert.strictEqual(parseStackConfigOrThrow(unset(prod), "prod").appSecrets.recoveryWindowInDays, 7);
            // protectData follows highlyAvailable when it is not set.
            const ha = withSetting(unset(prod), "redis-ha:protectData", [], undefined);
            assert.strictEqual(parseStackConfigOrThrow(ha, "prod").appSecrets.recoveryWindowInDays, 7);
        });

        it("is what the stack files say: dev 0, prod 7", () => {
            assert.strictEqual(parseStackConfigOrThrow(dev).appSecrets.recoveryWindowInDays, 0);
            assert.strictEqual(parseStackConfigOrThrow(prod, "prod").appSecrets.recoveryWindowInDays, 7);
        });

        it("accepts 0 and 7 to 30, and refuses 1 to 6, 31 and fractions, naming the key", () => {
            for (const days of [0, 7, 30]) {
                assert.strictEqual(
                    parseStackConfigOrThrow(withSetting(dev, KEY, ["recoveryWindowInDays"], days)).appSecrets.recoveryWindowInDays,
                    days,
                );
            }
            for (const days of [1, 6, 31, 7.5, -1]) {
                rejected(
                    withSetting(dev, KEY, ["recoveryWindowInDays"], days),
                    `${KEY}.recoveryWindowInDays`,
                    /0 \(delete at once.*7 to 30/,
                );
            }
            rejected(withSetting(dev, KEY, ["recoveryWindowInDays"], "7"), `${KEY}.recoveryWindowInDays`, /must be a number/);
        });

        it("refuses 0 in a stack that protects its data", () => {
            rejected(
                withSetting(prod, KEY, ["recoveryWindowInDays"], 0),
                `${KEY}.recoveryWindowInDays`,
                /protects its data.*7 to 30/,
                "prod",
            );
            const protectedDev = withSetting(dev, "redis-ha:protectData", [], true);
            rejected(protectedDev, `${KEY}.recoveryWindowInDays`, /protectData/);
        });
    });

    describe("externalSecretApiVersion", () => {
        it("defaults to v1, takes v1beta1 for old installs, and refuses anything else", () => {
            assert.strictEqual(parseStackConfigOrThrow(dev).appSecrets.externalSecretApiVersion, "v1");
            const old = withSetting(dev, KEY, ["externalSecretApiVersion"], "v1beta1");
            assert.strictEqual(parseStackConfigOrThrow(old).appSecrets.externalSecretApiVersion, "v1beta1");
            rejected(
                withSetting(dev, KEY, ["externalSecretApiVersion"], "external-secrets.io/v1"),
                `${KEY}.externalSecretApiVersion`,
                /must be one of v1, v1beta1/,
            );
        });
    });
});
