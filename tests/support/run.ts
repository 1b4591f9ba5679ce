// Runs one of the project's TypeScript commands in its own process, as a user would, without
// blocking: tests start several at once and await each where they assert on it.

import { execFile } from "child_process";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR } from "./stacks";

/** What a command did. */
export interface CommandRun {
    /** Exit status; null when it was killed. */
    code: number | null;
    stdout: string;
    stderr: string;
    /** Wall time in milliseconds. */
    ms: number;
}

/** Runs `script` (a path under the project) with `args` under ts-node. */
export function runScript(
    script: string,
    args: string[],
    options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<CommandRun> {
    const started = Date.now();
    return new Promise((resolve) => {
        execFile(
            process.execPath,
            ["-r", "ts-node/register/transpile-only", path.join(PROJECT_DIR, script), ...args],
            { cwd: PROJECT_DIR, encoding: "utf8", timeout: options.timeoutMs ?? 60_000, env: { ...process.env, ...options.env } },
            (error, stdout, stderr) => {
                const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
                resolve({ code, stdout, stderr, ms: Date.now() - started });
            },
        );
    });
}

/** `runScript`, remembered by its arguments: the same run is made once and shared. */
export function memoized(script: string): (...args: string[]) => Promise<CommandRun> {
    const runs = new Map<string, Promise<CommandRun>>();
    return (...args) => {
        const key = JSON.stringify(args);
        if (!runs.has(key)) runs.set(key, runScript(script, args));
        return runs.get(key)!;
    };
}

/**
 * Runs `jobs` (a name to how to start it), at most one per CPU core at a time, and gives their
 * results by name: independent commands in the time of a few, without a crowd that starves each.
 */
export async function perCore<T>(jobs: Record<string, () => Promise<T>>): Promise<Record<string, T>> {
    const queue = Object.entries(jobs);
    const results: Record<string, T> = {};
    const next = async (): Promise<void> => {
        for (let job = queue.shift(); job; job = queue.shift()) {
            results[job[0]] = await job[1]();
        }
    };
    await Promise.all(Array.from({ length: Math.min(os.availableParallelism(), queue.length) }, next));
    return results;
}
