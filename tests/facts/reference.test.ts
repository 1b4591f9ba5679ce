// The operator's files the tests check against live in tests/fixtures/spotahome/. A work tree that
// also has ../shared/reference/spotahome/ beside the project is told when the two part.

import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { OPERATOR_DEFAULTS } from "../../config/schema/operator";
import { chartMetadata, FIXTURE_DIR, FIXTURE_FILES } from "../support/reference";
import { PROJECT_DIR } from "../support/stacks";

const SHARED_DIR = path.resolve(PROJECT_DIR, "..", "shared", "reference", "spotahome");

describe("facts: the operator's reference files", () => {
    it("are in the repository, each with the git blob SOURCE.md names", () => {
        const source = fs.readFileSync(path.join(FIXTURE_DIR, "SOURCE.md"), "utf8");
        for (const file of FIXTURE_FILES) {
            const blob = execFileSync("git", ["hash-object", path.join(FIXTURE_DIR, file)], { encoding: "utf8" }).trim();
            assert.match(source, new RegExp(`^\\| \`${file.replace(/\./g, "\\.")}\` \\| \`[^\`]+\` \\| \`${blob}\` \\|$`, "m"), file);
        }
    });

    it("are of the chart and the CRD commit the operator settings default to", () => {
        const chart = chartMetadata();
        assert.strictEqual(chart.name, OPERATOR_DEFAULTS.chartName);
        assert.strictEqual(chart.version, OPERATOR_DEFAULTS.chartVersion);
        const source = fs.readFileSync(path.join(FIXTURE_DIR, "SOURCE.md"), "utf8");
        assert.match(source, new RegExp(`^Copied byte for byte from <[^>]+>, commit\\s+\`${OPERATOR_DEFAULTS.crdRef}\``, "m"));
    });

    it("equal ../shared/reference/spotahome/ byte for byte, where that folder exists", function () {
        if (!fs.existsSync(SHARED_DIR)) {
            // The reason, where the reporter lists the skipped test.
            this.test!.title += ` (skipped: no ${SHARED_DIR} here, nothing to compare with)`;
            this.skip();
        }
        for (const file of FIXTURE_FILES) {
            const shared = path.join(SHARED_DIR, file);
            assert.ok(fs.existsSync(shared), `${shared} is missing`);
            assert.ok(
                fs.readFileSync(path.join(FIXTURE_DIR, file)).equals(fs.readFileSync(shared)),
                `tests/fixtures/spotahome/${file} differs from ${shared}`,
            );
        }
    });
});
