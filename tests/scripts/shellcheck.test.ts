import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";

describe("scripts: shellcheck", () => {
    it("finds nothing in scripts/ and .ci/", function () {
        this.timeout(30_000);
        const files = fs
            .readdirSync("scripts")
            .filter((f) => f.endsWith(".sh"))
            .map((f) => `scripts/${f}`);
        const standins = fs.readdirSync("tests/support/standins").map((f) => `tests/support/standins/${f}`);
        const result = spawnSync("shellcheck", ["-x", ...files, ...standins, ".ci/run", ".ci/system-packages"], { encoding: "utf8" });
        assert.ok(!result.error, `shellcheck could not run (${result.error?.message}); install it: apt-get install shellcheck`);
        assert.strictEqual(result.status, 0, result.stdout);
        assert.strictEqual(files.length, 12);
    });
});
