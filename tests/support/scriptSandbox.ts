// Runs the real scripts under bash with stand-in binaries first on PATH. Each stand-in records its
// call ("name arg...") and then runs the body a test gives it, which may keep state in files.

import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ScriptName, SCRIPTS_DIR } from "../../render/nodeScripts";

/** The outcome of one script run. */
export interface ScriptRun {
    /** Exit status. */
    code: number | null;
    /** Standard output. */
    stdout: string;
    /** Standard error. */
    stderr: string;
    /** Stand-in calls made during this run, in order. */
    calls: string[];
}

/** A temporary directory with stand-in binaries, a state folder and a call log. */
export class ScriptSandbox {
    readonly root = fs.mkdtempSync(path.join(os.tmpdir(), "redis-ha-script-"));
    readonly bin = path.join(this.root, "bin");
    /** Where stand-ins keep their state; exported to them as $STATE. */
    readonly state = path.join(this.root, "state");
    private readonly callLog = path.join(this.root, "calls");

    constructor() {
        fs.mkdirSync(this.bin);
        fs.mkdirSync(this.state);
    }

    /** Installs a stand-in for `name` that records its call, then runs `body` (bash). */
    stub(name: string, body = "exit 0"): this {
        const file = path.join(this.bin, name);
        fs.writeFileSync(file, `#!/usr/bin/env bash\nprintf '%s\\n' "${name} $*" >>"$CALLS"\n${body}\n`);
        fs.chmodSync(file, 0o755);
        return this;
    }

    /** A path inside the sandbox, with parent folders created. */
    file(relative: string, content?: string): string {
        const full = path.join(this.root, relative);
        fs.mkdirSync(path.dirname(full), { recursive: true });
        if (content !== undefined) {
            fs.writeFileSync(full, content);
        }
        return full;
    }

    /** Runs a script (or any bash text with `text`) with `env`, feeding `stdin`. */
    run(script: ScriptName | { text: string }, env: Record<string, string> = {}, stdin = "", extraArgs: string[] = []): ScriptRun {
        const before = fs.existsSync(this.callLog) ? fs.readFileSync(this.callLog, "utf8").split("\n").filter(Boolean).length : 0;
        const args = typeof script === "string" ? [path.join(SCRIPTS_DIR, script)] : ["-c", script.text, "bash", ...extraArgs];
        const result = spawnSync("bash", args, {
            input: stdin,
            encoding: "utf8",
            timeout: 30_000,
            env: { PATH: `${this.bin}:/usr/bin:/bin`, HOME: this.root, CALLS: this.callLog, STATE: this.state, ...env },
        });
        const calls = fs.existsSync(this.callLog) ? fs.readFileSync(this.callLog, "utf8").split("\n").filter(Boolean).slice(before) : [];
        return { code: result.status, stdout: result.stdout, stderr: result.stderr, calls };
    }

    /** Every file below `relative` with its content, to compare two moments. */
    snapshot(relative: string): Record<string, string> {
        const base = path.join(this.root, relative);
        const out: Record<string, string> = {};
        const walk = (dir: string) => {
            for (const entry of fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : []) {
                const full = path.join(dir, entry.name);
                if (entry.isDirectory()) walk(full);
                else out[path.relative(base, full)] = fs.readFileSync(full, "utf8");
            }
        };
        walk(base);
        return out;
    }

    /** Removes the sandbox. */
    dispose(): void {
        fs.rmSync(this.root, { recursive: true, force: true });
    }
}
