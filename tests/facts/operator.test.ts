import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import {
    componentPort,
    crdManifestUrl,
    masterServiceName,
    podSelector,
    redisName,
    replicaServiceName,
    sentinelName,
} from "../../facts/operator";
import { PROJECT_DIR } from "../support/stacks";

/** The project's source files, tests left out: what git tracks plus new files it does not ignore. */
function sourceFiles(): string[] {
    const listed = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: PROJECT_DIR, encoding: "utf8" });
    return listed
        .split("\n")
        .filter((file) => /\.(ts|js|mjs|sh)$/.test(file) && !file.startsWith("tests/") && fs.existsSync(path.join(PROJECT_DIR, file)));
}

describe("facts: the operator's facts", () => {
    it("names objects the way the operator does (service/names.go)", () => {
        assert.deepStrictEqual(
            [masterServiceName("auth-redis"), replicaServiceName("auth-redis"), sentinelName("auth-redis"), redisName("auth-redis")],
            ["rfrm-auth-redis", "rfrs-auth-redis", "rfs-auth-redis", "rfr-auth-redis"],
        );
    });

    it("selects a failover's pods by the operator's labels (service/client.go)", () => {
        assert.strictEqual(podSelector("auth-redis"), "app.kubernetes.io/part-of=redis-failover,app.kubernetes.io/name=auth-redis");
        assert.strictEqual(
            podSelector("auth-redis", "sentinel"),
            "app.kubernetes.io/part-of=redis-failover,app.kubernetes.io/name=auth-redis,app.kubernetes.io/component=sentinel",
        );
        assert.deepStrictEqual([componentPort("redis"), componentPort("sentinel")], [6379, 26379]);
    });

    it("points at the CRD manifest of a git ref", () => {
        assert.strictEqual(
            crdManifestUrl("v1.3.0-rc1"),
            "https://raw.githubusercontent.com/spotahome/redis-operator/v1.3.0-rc1/manifests/databases.spotahome.com_redisfailovers.yaml",
        );
    });

    it("are spelled in facts/operator.ts and nowhere else in the source", () => {
        const files = sourceFiles();
        assert.ok(files.includes("facts/operator.ts") && files.length > 30, `found ${files.length} source files`);
        for (const fact of ["rfrm-", "rfrs-", "rfs-", "rfr-", "mymaster", "26379", "redis-failover", "databases.spotahome.com"]) {
            const holders = files.filter((file) => fs.readFileSync(path.join(PROJECT_DIR, file), "utf8").includes(fact));
            assert.deepStrictEqual(holders, ["facts/operator.ts"], `${fact} is spelled in ${holders.join(", ")}`);
        }
    });
});
