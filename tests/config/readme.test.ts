import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { ConfigError } from "../../config/errors";
import { parseStackConfigOrThrow } from "../../config/parse";
import { PROJECT_DIR, stackConfig, withSetting } from "../support/stacks";
import { formatDefault, schemaKeys } from "./schemaKeys";

/** The README's "## Configuration" section. */
function configurationSection(): string {
    const readme = fs.readFileSync(path.join(PROJECT_DIR, "README.md"), "utf8");
    return readme.slice(readme.indexOf("## Configuration\n"), readme.indexOf("\n## Outputs"));
}

/** Rows of the reference table: key (without backticks) to the default cell. */
function tableRows(): Map<string, string> {
    const rows = new Map<string, string>();
    for (const line of configurationSection().split("\n")) {
        const cells = /^\| `([^`]+)` \| (.*?) \| .* \|$/.exec(line);
        if (cells) rows.set(cells[1], cells[2]);
    }
    return rows;
}

describe("config: the README's reference table", () => {
    const rows = tableRows();
    const keys = schemaKeys();

    it("lists every key of the schema", () => {
        const missing = keys.map((k) => k.key).filter((key) => !rows.has(key));
        assert.deepStrictEqual(missing, [], "keys missing from the README table");
    });

    it("lists no key the schema does not have", () => {
        const known = new Set(keys.map((k) => k.key));
        assert.deepStrictEqual(
            [...rows.keys()].filter((key) => !known.has(key)),
            [],
        );
    });

    it("prints each default as the schema has it", () => {
        for (const key of keys.filter((k) => "default" in k)) {
            const printed = /`([^`]*)`/.exec(rows.get(key.key) ?? "")?.[1];
            assert.strictEqual(printed, formatDefault(key.default), `default of ${key.key}`);
        }
    });

    it("shows real output of the validator as its example", () => {
        let config = stackConfig("dev");
        config = withSetting(config, "redis-ha:instances", ["auth", "redis", "maxmemory"], "600mb");
        config = withSetting(config, "redis-ha:appEnv", [4, "instance"], "events");
        config = withSetting(config, "redis-ha:nodes", ["cache", "instanceType"], "t3.medum");
        config = withSetting(config, "redis-ha:operator", ["imageTag"], "latest");
        config = withSetting(config, "redis-ha:instances", ["cache", "redis", "customConfig"], ['rename-command FLUSHALL ""']);
        config = { ...config, "redis_ha:placementLabel": "redis-cluster", "redis-ha:sshPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----" };
        assert.throws(
            () => parseStackConfigOrThrow(config, "dev", { secretKeys: [] }),
            (error: unknown) => error instanceof ConfigError && configurationSection().includes("```\n" + error.message + "\n```"),
        );
    });
});
