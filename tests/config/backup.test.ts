import * as assert from "assert";
import { parseStackConfig, parseStackConfigOrThrow } from "../../config/parse";
import { stackConfig, withSetting } from "../support/stacks";

const B = "redis-ha:backup";
const prod = stackConfig("prod");
const set = (at: Array<string | number>, value: unknown) => withSetting(prod, B, at, value);

function rejected(config: Record<string, string>, key: string, why: RegExp) {
    const result = parseStackConfig(config, "prod");
    const issue = result.issues.find((i) => i.key === key);
    assert.ok(issue, `expected an issue at ${key}, got ${JSON.stringify(result.issues)}`);
    assert.match(issue.message, why);
}

describe("config: backup", () => {
    it("prod backs up every data-holding instance (auth) by default, with the stated schedule and retention", () => {
        const backup = parseStackConfigOrThrow(prod, "prod").backup!;
        assert.deepStrictEqual(backup.instances, ["auth"]);
        assert.strictEqual(backup.schedule, "17 */6 * * *");
        assert.strictEqual(backup.retentionDays, 35);
        assert.strictEqual(backup.prefix, "redis/");
        assert.strictEqual(parseStackConfigOrThrow(stackConfig("dev"), "dev").backup, undefined, "dev keeps them off");
    });

    it("refuses an instance that holds no data, and one that does not exist, naming the key", () => {
        rejected(set(["instances"], ["auth", "cache"]), `${B}.instances[1]`, /cache holds no data .*only data-holding instances/);
        rejected(set(["instances"], ["nope"]), `${B}.instances[0]`, /names no instance; defined: auth, streams, cache/);
        assert.deepStrictEqual(parseStackConfigOrThrow(set(["instances"], ["auth"]), "prod").backup!.instances, ["auth"]);
    });

    it("refuses a bucket S3 would refuse, a schedule a CronJob would, a prefix without its slash", () => {
        rejected(set(["bucket"], "Redis_Backups"), `${B}.bucket`, /not an S3 bucket name/);
        rejected(set(["bucket"], "a..b"), `${B}.bucket`, /no two dots/);
        rejected(set(["schedule"], "61 * * * *"), `${B}.schedule`, /minute "61" is outside 0-59/);
        rejected(set(["schedule"], "@daily"), `${B}.schedule`, /has 1 fields/);
        rejected(set(["prefix"], "redis"), `${B}.prefix`, /each ending with \//);
        rejected(set(["retentionDays"], 0), `${B}.retentionDays`, /./);
        assert.ok(parseStackConfigOrThrow(set(["schedule"], "0 3 * * 1-5"), "prod").backup);
    });
});
