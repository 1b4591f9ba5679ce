// What every bench file shares: the project's folder, pauses, medians, the command that runs one of
// its scripts as a process of its own, the file an in-node writer leaves, and the count of
// acknowledged writes a server does not have.

import * as fs from "fs";
import * as path from "path";
import IORedis from "ioredis";

/** The project's root folder. */
export const PROJECT_DIR = path.resolve(__dirname, "..");

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The middle value; of an even count, the upper of the two. */
export function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
}

/** `median (min..max)`, or `none` when there are no values. */
export function medianRange(values: number[], none: string): string {
    return values.length ? `${median(values)} (${Math.min(...values)}..${Math.max(...values)})` : none;
}

/** Runs the project's TypeScript file `file` (relative to the project) with `args`, as its own node process. */
export function scriptCommand(file: string, ...args: string[]): string[] {
    return [process.execPath, "-r", "ts-node/register/transpile-only", path.join(PROJECT_DIR, file), ...args];
}

/** Whether the file exists and holds `text` (a process's log saying it is ready). */
export function fileSays(file: string, text: string): boolean {
    return fs.existsSync(file) && fs.readFileSync(file, "utf8").includes(text);
}

/** Writes `report` as JSON to `out` whole or not at all: the drill reads the file as soon as it exists. */
export function writeReport(out: string, report: unknown): void {
    fs.writeFileSync(`${out}.part`, JSON.stringify(report));
    fs.renameSync(`${out}.part`, out);
}

/** What a writer in another process left in `out`, or undefined when it left nothing. */
export function readReport<T>(out: string): T | undefined {
    return fs.existsSync(out) ? (JSON.parse(fs.readFileSync(out, "utf8")) as T) : undefined;
}

/** One acknowledged write: its key, when (epoch ms), and which server took it. */
export interface AckedWrite {
    key: string;
    at: number;
    server: string;
}

/** A writer's acknowledgements `[n, epoch ms, server]` as writes of `<prefix><n>`. */
export function ackedWrites(prefix: string, acks: ReadonlyArray<readonly [number, number, string]>): AckedWrite[] {
    return acks.map(([n, at, server]) => ({ key: `${prefix}${n}`, at, server }));
}

/** How many of `keys` the server does not have: the acknowledged writes it lost. */
export async function countLost(server: { host: string; port: number }, password: string, keys: string[]): Promise<number> {
    const reader = new IORedis({ ...server, password, lazyConnect: true });
    try {
        await reader.connect();
        let missing = 0;
        // In batches: one MGET of a long trial's keys would be one huge command.
        for (let i = 0; i < keys.length; i += 1000) {
            const values = await reader.mget(...keys.slice(i, i + 1000));
            missing += values.filter((value) => value === null).length;
        }
        return missing;
    } finally {
        reader.disconnect();
    }
}
