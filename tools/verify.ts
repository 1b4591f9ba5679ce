// On-demand health check of one Redis + Sentinel group: the same checks `pulumi up` runs.
//
//   npm run verify -- --sentinel HOST:PORT[,HOST:PORT...] --master-name NAME --expect-policy POLICY
//     --expect-redis N --expect-sentinels N [--expect-maxmemory 256mb] [--password-env VAR]
//     [--timeout SECONDS] [--json]
//   npm run verify -- --kubeconfig FILE --namespace NS --name RF ... (through the Kubernetes API)
//
// Exit status: 0 healthy, 1 unhealthy (or no answer within --timeout), 2 bad usage.

import * as fs from "fs";
import { checkOnce, Expectations, HealthReport, parseEndpoint, Target } from "../providers/checks";
import { parseRedisBytes } from "../config/units";
import { MAXMEMORY_POLICIES } from "../config/types";

/** A parsed verify command. */
export interface VerifyCommand {
    /** Direct sentinel addresses. */
    sentinels?: string[];
    /** Through the Kubernetes API. */
    kubernetes?: { kubeconfigFile?: string; namespace: string; name: string };
    /** What the group must look like. */
    expected: Expectations;
    /** Environment variable holding the password. */
    passwordEnv?: string;
    /** Bound of the whole run, in seconds. */
    timeoutSeconds: number;
    /** Print JSON instead of a table. */
    json: boolean;
}

/** Thrown for bad usage (exit 2). */
export class UsageError extends Error {}

const USAGE =
    "usage: npm run verify -- (--sentinel HOST:PORT[,HOST:PORT...] | --kubeconfig FILE --namespace NS --name NAME) --master-name NAME " +
    "--expect-policy POLICY --expect-redis N --expect-sentinels N [--expect-maxmemory SIZE] [--password-env VAR] [--timeout SECONDS] [--json]";

/** Parses the command line; throws `UsageError` naming the bad flag. */
export function parseVerifyArgs(argv: string[]): VerifyCommand {
    const values = new Map<string, string>();
    let json = false;
    const valued = ["--sentinel", "--master-name", "--expect-policy", "--expect-redis", "--expect-sentinels", "--expect-maxmemory", "--password-env", "--timeout", "--kubeconfig", "--namespace", "--name"];
    for (let i = 0; i < argv.length; i++) {
        const flag = argv[i];
        if (flag === "--json") {
            json = true;
        } else if (valued.includes(flag)) {
            const value = argv[++i];
            if (value === undefined || value.startsWith("--")) throw new UsageError(`${flag} needs a value`);
            values.set(flag, value);
        } else {
            throw new UsageError(`unknown argument ${flag}`);
        }
    }
    const required = (flag: string) => {
        const value = values.get(flag);
        if (value === undefined) throw new UsageError(`${flag} is required`);
        return value;
    };
    const count = (flag: string) => {
        const value = Number(required(flag));
        if (!Number.isInteger(value) || value < 1) throw new UsageError(`${flag} must be a whole number of at least 1`);
        return value;
    };
    const policy = required("--expect-policy");
    if (!(MAXMEMORY_POLICIES as readonly string[]).includes(policy)) throw new UsageError(`--expect-policy must be one of ${MAXMEMORY_POLICIES.join(", ")}`);
    const maxmemoryText = values.get("--expect-maxmemory");
    const maxmemoryBytes = maxmemoryText === undefined ? undefined : parseRedisBytes(maxmemoryText);
    if (maxmemoryText !== undefined && maxmemoryBytes === undefined) throw new UsageError(`--expect-maxmemory ${maxmemoryText} is not a Redis size (e.g. 256mb)`);
    const timeoutSeconds = Number(values.get("--timeout") ?? "10");
    if (!(timeoutSeconds > 0)) throw new UsageError("--timeout must be a positive number of seconds");

    const sentinelList = values.get("--sentinel");
    const namespace = values.get("--namespace");
    const name = values.get("--name");
    if (sentinelList !== undefined && (namespace !== undefined || name !== undefined)) throw new UsageError("give --sentinel or --namespace/--name, not both");
    let sentinels: string[] | undefined;
    let kubernetes: VerifyCommand["kubernetes"];
    if (sentinelList !== undefined) {
        sentinels = sentinelList.split(",").filter(Boolean);
        for (const address of sentinels) {
            try {
                parseEndpoint(address);
            } catch (error) {
                throw new UsageError(`--sentinel: ${(error as Error).message}`);
            }
        }
    } else if (namespace !== undefined && name !== undefined) {
        kubernetes = { kubeconfigFile: values.get("--kubeconfig"), namespace, name };
    } else {
        throw new UsageError("--sentinel, or --namespace and --name, is required");
    }
    const passwordEnv = values.get("--password-env");
    if (passwordEnv !== undefined && process.env[passwordEnv] === undefined) throw new UsageError(`--password-env ${passwordEnv}: no such environment variable`);
    return {
        sentinels,
        kubernetes,
        expected: {
            masterName: required("--master-name"),
            maxmemoryPolicy: policy,
            ...(maxmemoryBytes === undefined ? {} : { maxmemoryBytes }),
            redisCount: count("--expect-redis"),
            sentinelCount: count("--expect-sentinels"),
        },
        passwordEnv,
        timeoutSeconds,
        json,
    };
}

/** The report as a table, one check a line. */
export function formatReport(report: HealthReport): string {
    const width = Math.max(...report.checks.map((check) => check.name.length));
    const lines = report.checks.map((check) => `${check.ok ? "ok  " : "FAIL"}  ${check.name.padEnd(width)}  ${check.detail}`);
    lines.push("", `${report.healthy ? "healthy" : "UNHEALTHY"}${report.master ? `: master ${report.master}` : ""} (${report.durationMs} ms)`);
    return lines.join("\n");
}

/** Runs the checks once within the command's timeout. */
export async function runVerify(command: VerifyCommand): Promise<HealthReport> {
    const password = command.passwordEnv ? process.env[command.passwordEnv] : undefined;
    // Each network call gets a share of the budget, so one silent server cannot use all of it.
    const probeTimeoutMs = Math.max(100, Math.min(1000, (command.timeoutSeconds * 1000) / 4));
    let close = async () => undefined as void;
    let target: Target;
    if (command.kubernetes) {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { openKubeTarget } = require("../providers/kubeTransport") as typeof import("../providers/kubeTransport");
        const kubeconfig = command.kubernetes.kubeconfigFile ? fs.readFileSync(command.kubernetes.kubeconfigFile, "utf8") : undefined;
        const opened = await openKubeTarget({ kubeconfig, namespace: command.kubernetes.namespace, name: command.kubernetes.name, password, probeTimeoutMs });
        target = opened.target;
        close = opened.close;
    } else {
        target = { sentinels: command.sentinels!.map(parseEndpoint), password, probeTimeoutMs };
    }
    try {
        return await checkOnce(target, command.expected);
    } finally {
        await close();
    }
}

async function main(): Promise<number> {
    let command: VerifyCommand;
    try {
        command = parseVerifyArgs(process.argv.slice(2));
    } catch (error) {
        if (error instanceof UsageError) {
            console.error(`verify: ${error.message}\n${USAGE}`);
            return 2;
        }
        throw error;
    }
    // Whatever the servers do, the run ends by --timeout.
    const timer = setTimeout(() => {
        console.error(`verify: no complete answer within ${command.timeoutSeconds}s`);
        process.exit(1);
    }, command.timeoutSeconds * 1000);
    timer.unref();
    const report = await runVerify(command);
    console.log(command.json ? JSON.stringify(report, null, 2) : formatReport(report));
    return report.healthy ? 0 : 1;
}

if (require.main === module) {
    main().then(
        (code) => process.exit(code),
        (error) => {
            console.error(`verify: ${(error as Error).message}`);
            process.exit(1);
        },
    );
}
