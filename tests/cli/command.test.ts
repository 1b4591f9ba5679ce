import * as assert from "assert";
import { parseFlags, UsageError, wholeNumber } from "../../cli/command";
import { memoized } from "../support/run";

const SPEC = {
    name: "demo",
    usage: "usage: demo --stack NAME",
    options: { stack: { type: "string" }, down: { type: "boolean" } },
} as const;

const COMMANDS = ["cli/plan.ts", "cli/lab.ts", "cli/verify.ts", "bench/bench.ts"].map((script) => ({ script, run: memoized(script) }));

describe("cli: shared command handling", () => {
    it("parses known flags", () => {
        assert.deepStrictEqual({ ...parseFlags(SPEC, ["--stack", "dev", "--down"]) }, { stack: "dev", down: true });
    });

    it("refuses an unknown flag, a missing value and a positional argument, naming each", () => {
        assert.throws(
            () => parseFlags(SPEC, ["--stak", "dev"]),
            (e: Error) => e instanceof UsageError && /--stak/.test(e.message),
        );
        assert.throws(
            () => parseFlags(SPEC, ["--stack"]),
            (e: Error) => e instanceof UsageError && /--stack/.test(e.message),
        );
        assert.throws(
            () => parseFlags(SPEC, ["dev"]),
            (e: Error) => e instanceof UsageError && /dev/.test(e.message),
        );
    });

    it("reads whole numbers and names the flag of a bad one", () => {
        assert.strictEqual(wholeNumber("trials", undefined, 5), 5);
        assert.strictEqual(wholeNumber("trials", "7", 5, 1), 7);
        assert.throws(() => wholeNumber("trials", "0", 5, 1), /--trials takes a whole number of at least 1, got "0"/);
        assert.throws(() => wholeNumber("trials", "5x", 5), /--trials/);
    });

    describe("every command", function () {
        this.timeout(60_000);
        before(() => COMMANDS.forEach(({ run }) => [run("--help"), run("--no-such-flag")]));
        for (const { script, run } of COMMANDS) {
            it(`${script}: --help prints usage and exits 0; an unknown flag exits 2 without a stack trace`, async () => {
                const help = await run("--help");
                assert.strictEqual(help.code, 0, help.stderr);
                assert.match(help.stdout, /^usage: npm (start|run \w+)/m);
                const bad = await run("--no-such-flag");
                assert.strictEqual(bad.code, 2, bad.stdout + bad.stderr);
                assert.match(bad.stderr, /--no-such-flag/);
                assert.doesNotMatch(bad.stderr, /^\s+at /m, "no stack trace");
            });
        }
    });
});
