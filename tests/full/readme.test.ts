// Every command README.md shows in a shell block, run as written where this machine can run it:
// it must end with exit 0 or 1 and a clean message, never a stack trace. Commands that need what
// is not here (the Pulumi CLI, a cluster, an AWS account) are named with the reason; a command
// that fits no rule fails the test, so a new README command cannot go unchecked.

import * as assert from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR } from "../support/stacks";

/** The commands of README.md's ```sh blocks: continuation lines joined, comments dropped. */
function readmeCommands(markdown: string): string[] {
    const blocks = [...markdown.matchAll(/^```sh\n([\s\S]*?)^```/gm)].map((match) => match[1]);
    return blocks.flatMap((block) =>
        block
            .replace(/\\\n\s*/g, " ")
            .split("\n")
            .map((line) => line.replace(/\s+#\s.*$/, "").trim())
            .filter((line) => line !== ""),
    );
}

/** Why a command cannot run here, or undefined when it can. */
function cannotRunHere(command: string): string | undefined {
    if (/^pulumi\b/.test(command)) return "needs the Pulumi CLI and a backend";
    if (/\bkubectl\b/.test(command)) return "needs a cluster";
    if (/^aws\b/.test(command)) return "needs an AWS account";
    if (/^npm run restore\b/.test(command) && /--namespace/.test(command)) return "restores into a real group";
    if (/^npm run migrate\b/.test(command)) return "moves a real Redis into a real group";
    if (/^export SOURCE_REDIS_PASSWORD=/.test(command)) return "the password of a real Redis";
    if (/^npm run verify\b/.test(command) && /--kubeconfig|\.\.\.|--sentinel (?!127\.)/.test(command)) {
        return "reaches a real group (a cluster, or its in-cluster addresses)";
    }
    return undefined;
}

/** Steps of a `&&` chain this suite skips: installing packages under the running suite, and the suite itself. */
const SKIPPED_STEPS = new Set(["npm ci", "npm run test:all", "npm test"]);

const RUNNABLE = /^(npm start|npm run (plan|lab|bench|verify)\b|bash \.ci\/system-packages$)/;

function sh(command: string, env: Record<string, string>): Promise<{ code: number; output: string }> {
    return new Promise((resolve) => {
        execFile(
            "bash",
            ["-c", command],
            { cwd: PROJECT_DIR, env: { ...process.env, ...env }, timeout: 120_000 },
            (error, stdout, stderr) => {
                resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, output: `${stdout}${stderr}` });
            },
        );
    });
}

describe("full: README.md's commands, as written", function () {
    this.timeout(300_000);
    const commands = readmeCommands(fs.readFileSync(path.join(PROJECT_DIR, "README.md"), "utf8"));
    const labDir = fs.mkdtempSync(path.join(os.tmpdir(), "redis-ha-readme-lab-"));
    after(async () => {
        await sh("npm run -s lab -- --stack dev --down", { REDIS_HA_LAB_DIR: labDir });
        fs.rmSync(labDir, { recursive: true, force: true });
        fs.rmSync(path.join(PROJECT_DIR, "plan.json"), { force: true });
    });

    it("finds the commands", () => {
        assert.ok(commands.length >= 10, `found ${commands.length}`);
        assert.ok(commands.includes("npm ci && npm start"), "the main job's command");
    });

    it("every command either runs here or says why it cannot", () => {
        const unclassified = commands.filter(
            (command) => !cannotRunHere(command) && !command.split(" && ").every((step) => SKIPPED_STEPS.has(step) || RUNNABLE.test(step)),
        );
        assert.deepStrictEqual(unclassified, []);
    });

    it("runs each runnable one in order: exit 0 or 1, no stack trace", async () => {
        const ran: string[] = [];
        for (const command of commands.filter((c) => !cannotRunHere(c))) {
            const steps = command.split(" && ").filter((step) => !SKIPPED_STEPS.has(step));
            const result = await sh(steps.join(" && "), { REDIS_HA_LAB_DIR: labDir });
            assert.ok(result.code === 0 || result.code === 1, `${command} exited ${result.code}:\n${result.output}`);
            // The runbooks' lab steps must hold, not merely end cleanly.
            if (/--rotate |--drill upgrade/.test(command)) assert.strictEqual(result.code, 0, `${command}:\n${result.output}`);
            assert.doesNotMatch(result.output, /^\s+at .*\(.*:\d+:\d+\)$/m, `${command} printed a stack trace:\n${result.output}`);
            ran.push(`${result.code} ${command}`);
        }
        assert.ok(
            ran.some((line) => line.startsWith("0 npm ci && npm start")),
            ran.join("\n"),
        );
        assert.ok(
            ran.some((line) => /^0 npm run lab -- --stack dev$/.test(line)),
            ran.join("\n"),
        );
    });
});
