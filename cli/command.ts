// What every command users run shares: strict flags through `util.parseArgs`, `--help`, and exits
// that a script can rely on (0 done, 1 failed, 2 bad usage) with one clean line instead of a stack
// trace.

import * as fs from "fs";
import { parseArgs, ParseArgsConfig } from "util";
import type { KubeReach } from "../health/reach";

/** Bad usage: reported with the usage text, exit 2. */
export class UsageError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "UsageError";
    }
}

/** One command's name, usage text and flags. */
export interface CommandSpec<O extends NonNullable<ParseArgsConfig["options"]>> {
    /** Prefix of every message, e.g. `plan`. */
    name: string;
    /** Printed by `--help` and after a usage error. */
    usage: string;
    /** Flags, as `util.parseArgs` takes them (`--help` is added). */
    options: O;
}

/** Parses argv strictly; a flag that is not known, or lacks its value, is a `UsageError`. */
export function parseFlags<O extends NonNullable<ParseArgsConfig["options"]>>(spec: CommandSpec<O>, argv: string[]) {
    try {
        return parseArgs({ args: argv, options: { ...spec.options, help: { type: "boolean" } }, strict: true, allowPositionals: false })
            .values;
    } catch (error) {
        // Node's messages name the flag and say what is wrong with it; its error codes add nothing.
        throw new UsageError((error as Error).message.replace(/\. To specify .*$/s, ""));
    }
}

/** A whole number from a flag's text, or a `UsageError` naming the flag. */
export function wholeNumber(flag: string, text: string | undefined, fallback: number, min = 0): number {
    if (text === undefined) {
        return fallback;
    }
    if (!/^\d+$/.test(text) || Number(text) < min) {
        throw new UsageError(`--${flag} takes a whole number${min > 0 ? ` of at least ${min}` : ""}, got "${text}"`);
    }
    return Number(text);
}

/** The message of anything thrown, without its stack. */
export function messageOf(error: unknown): string {
    return error instanceof Error ? error.message : String(error);
}

/**
 * Runs `main` with its parsed flags and exits with its code. `--help` prints the usage; a
 * `UsageError` exits 2 with the usage; any other failure prints one line and exits 1.
 */
export function runCommand<O extends NonNullable<ParseArgsConfig["options"]>>(
    spec: CommandSpec<O>,
    main: (flags: ReturnType<typeof parseFlags<O>>) => Promise<number>,
): void {
    const run = async (): Promise<number> => {
        try {
            const flags = parseFlags(spec, process.argv.slice(2));
            if ((flags as { help?: boolean }).help) {
                console.log(spec.usage);
                return 0;
            }
            return await main(flags);
        } catch (error) {
            if (error instanceof UsageError) {
                console.error(`${spec.name}: ${error.message}\n\n${spec.usage}`);
                return 2;
            }
            console.error(`${spec.name}: ${messageOf(error)}`);
            return 1;
        }
    };
    // A rejection nobody awaits must not end in a stack trace. The Pulumi runtime leaves one behind
    // when a program fails (the same failure also reaches `main`, which reports it properly), so the
    // first is only printed if `main` has not ended shortly after; the timer keeps nothing alive.
    process.on("unhandledRejection", (reason) => {
        setTimeout(() => {
            console.error(`${spec.name}: ${messageOf(reason)}`);
            process.exit(1);
        }, 2000).unref();
    });
    // Exit once stdout is flushed: a pipe takes a long document asynchronously.
    void run().then((code) => process.stdout.write("", () => process.exit(code)));
}

/**
 * The RedisFailover reached through the Kubernetes API that `--namespace`, `--name` and
 * `--kubeconfig FILE` name; undefined without `--namespace`.
 */
export function kubeReachOf(flags: { namespace?: string; name?: string; kubeconfig?: string }): KubeReach | undefined {
    if (!flags.namespace) return undefined;
    return {
        namespace: flags.namespace,
        name: flags.name ?? "",
        ...(flags.kubeconfig ? { kubeconfig: fs.readFileSync(flags.kubeconfig, "utf8") } : {}),
    };
}
