// Full tier: the fast tier passes while one core is kept busy, as on a shared or loaded runner. Its
// timing assertions bound the work (rounds counted, or time the process itself reports), not
// process start-up, which such a machine stretches; this run keeps them honest.

import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import { PROJECT_DIR } from "../support/stacks";

const MOCHA = path.join(PROJECT_DIR, "node_modules", "mocha", "bin", "mocha.js");

describe("full: the fast tier with one core busy", function () {
    this.timeout(15 * 60_000);
    let busy: ChildProcess | undefined;
    const stopBusy = () => busy?.kill("SIGKILL");
    after(stopBusy);

    it("passes: every test, no failure", async () => {
        busy = spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" });
        // Dies with the tests, even when they end some other way than through `after`.
        process.once("exit", stopBusy);
        // The fast tier's own config (.mocharc.json), as `npm test` runs it.
        const child = spawn(process.execPath, [MOCHA], { cwd: PROJECT_DIR, timeout: 14 * 60_000 });
        let output = "";
        child.stdout.on("data", (data) => (output += data));
        child.stderr.on("data", (data) => (output += data));
        const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
        stopBusy();
        const summary = output.match(/^(\d+) passed, (\d+) failed/m);
        assert.ok(summary, `no summary line; the run ended:\n${output.slice(-4000)}`);
        assert.strictEqual(summary[2], "0", `failures beside a busy core:\n${output.slice(-8000)}`);
        assert.ok(Number(summary[1]) > 400, `only ${summary[1]} tests ran`);
        assert.strictEqual(code, 0, output.slice(-4000));
    });
});
