// `npm run verify`: the checks `pulumi up` runs after a deploy, on demand: one round, or with
// `--wait` polling like the provider until healthy or `--timeout` (a CI job waiting for a deploy).

import * as fs from "fs";
import { MAXMEMORY_POLICIES } from "../config/schema/instances";
import { parseRedisBytes } from "../facts/patterns";
import { MASTER_NAME } from "../facts/operator";
import { checkOnce, waitUntilHealthy } from "../health/wait";
import { Expectations } from "../health/rules";
import { formatReport, HealthReport, summarizeFailures } from "../health/report";
import { openTarget, Reach } from "../health/reach";
import { parseEndpoint } from "../health/connection";
import { parseFlags, runCommand, UsageError, wholeNumber } from "./command";

/** Pause between the rounds of `--wait`. */
const WAIT_INTERVAL_MS = 1000;

const USAGE = `usage: npm run verify -- (--sentinel HOST:PORT[,...] [--members HOST:PORT[,...]] | [--kubeconfig FILE] --namespace NS --name NAME)
         [--front HOST:PORT[,...]] --master-name NAME --expect-policy POLICY --expect-redis N --expect-sentinels N
         [--expect-maxmemory SIZE] [--password-env VAR] [--wait] [--timeout SECONDS]
         [--allow-external-services] [--json]

Runs every health check of one Redis + Sentinel group once and prints what holds and what does not;
with --wait, checks again until every check holds or --timeout passes.
  --sentinel LIST        sentinel addresses, reached directly (inside the cluster network)
  --members LIST         with --sentinel: the group's redis and sentinel addresses as Sentinel reports
                         them (pod IPs); every address a sentinel knows must be one of them or of
                         --sentinel. Without it the membership check does not apply (through
                         Kubernetes the RedisFailover's pods are the members)
  --namespace, --name    the RedisFailover, reached through the Kubernetes API (port-forwards);
  --kubeconfig FILE      with this kubeconfig (default: KUBECONFIG, ~/.kube/config, in-cluster)
  --front LIST           the group's front (HAProxy) addresses, reached directly: a new connection
                         through each must reach the master the sentinels agree on (same run_id).
                         Without it the front-serves-master check is not reported
  --master-name NAME     Sentinel's name for the master (the operator's groups: ${MASTER_NAME})
  --expect-policy P      maxmemory-policy every redis must have, one of
                         ${MAXMEMORY_POLICIES.join(", ")}
  --expect-redis N       redis servers (master plus replicas)
  --expect-sentinels N   sentinels
  --expect-maxmemory S   maxmemory every redis must have, as Redis spells it (256mb)
  --password-env VAR     environment variable holding the redis password
  --wait                 poll (every ${WAIT_INTERVAL_MS / 1000}s, progress on stderr) until healthy or --timeout; pods and
                         Services not there yet are waited for
  --timeout SECONDS      bound of the whole run, however the servers behave (default 10)
  --allow-external-services
                         accept operator Services of type LoadBalancer or NodePort (Kubernetes)
  --json                 print the report as JSON instead of a table
Exit status: 0 healthy, 1 unhealthy (or no complete answer within --timeout), 2 bad usage.`;

const SPEC = {
    name: "verify",
    usage: USAGE,
    options: {
        sentinel: { type: "string" },
        members: { type: "string" },
        front: { type: "string" },
        kubeconfig: { type: "string" },
        namespace: { type: "string" },
        name: { type: "string" },
        "master-name": { type: "string" },
        "expect-policy": { type: "string" },
        "expect-redis": { type: "string" },
        "expect-sentinels": { type: "string" },
        "expect-maxmemory": { type: "string" },
        "password-env": { type: "string" },
        wait: { type: "boolean" },
        timeout: { type: "string" },
        "allow-external-services": { type: "boolean" },
        json: { type: "boolean" },
    },
} as const;

type Flags = ReturnType<typeof parseFlags<(typeof SPEC)["options"]>>;

/** A parsed verify command. */
export interface VerifyCommand {
    /** Direct sentinel addresses. */
    sentinels?: string[];
    /** With `sentinels`: the group's addresses, for the membership check. */
    members?: string[];
    /** Through the Kubernetes API. */
    kubernetes?: { kubeconfigFile?: string; namespace: string; name: string };
    /** The group's front addresses, reached directly, for the front-serves-master check. */
    fronts?: string[];
    /** What the group must look like. */
    expected: Expectations;
    /** Environment variable holding the password. */
    passwordEnv?: string;
    /** Poll until healthy or the timeout, instead of one round. */
    wait: boolean;
    /** Bound of the whole run, in seconds. */
    timeoutSeconds: number;
    /** Accept Services of type LoadBalancer or NodePort. */
    allowExternalServices: boolean;
    /** Print JSON instead of a table. */
    json: boolean;
}

function required(flags: Flags, flag: "master-name" | "expect-policy" | "expect-redis" | "expect-sentinels"): string {
    const value = flags[flag];
    if (value === undefined) throw new UsageError(`--${flag} is required`);
    return value;
}

function expectationsOf(flags: Flags): Expectations {
    const policy = required(flags, "expect-policy");
    if (!(MAXMEMORY_POLICIES as readonly string[]).includes(policy))
        throw new UsageError(`--expect-policy must be one of ${MAXMEMORY_POLICIES.join(", ")}`);
    const maxmemoryText = flags["expect-maxmemory"];
    const maxmemoryBytes = maxmemoryText === undefined ? undefined : parseRedisBytes(maxmemoryText);
    if (maxmemoryText !== undefined && maxmemoryBytes === undefined)
        throw new UsageError(`--expect-maxmemory ${maxmemoryText} is not a Redis size (e.g. 256mb)`);
    return {
        masterName: required(flags, "master-name"),
        maxmemoryPolicy: policy,
        ...(maxmemoryBytes === undefined ? {} : { maxmemoryBytes }),
        redisCount: wholeNumber("expect-redis", required(flags, "expect-redis"), 0, 1),
        sentinelCount: wholeNumber("expect-sentinels", required(flags, "expect-sentinels"), 0, 1),
    };
}

/** A comma-separated list of `host:port`; throws `UsageError` naming the flag. */
function endpoints(flag: "sentinel" | "members" | "front", text: string): string[] {
    const list = text.split(",").filter(Boolean);
    for (const address of list) {
        try {
            parseEndpoint(address);
        } catch (error) {
            throw new UsageError(`--${flag}: ${(error as Error).message}`);
        }
    }
    return list;
}

function reachOf(flags: Flags): Pick<VerifyCommand, "sentinels" | "members" | "kubernetes"> {
    const { sentinel, members, namespace, name } = flags;
    if (sentinel !== undefined && (namespace !== undefined || name !== undefined))
        throw new UsageError("give --sentinel or --namespace/--name, not both");
    if (members !== undefined && sentinel === undefined)
        throw new UsageError("--members goes with --sentinel (through Kubernetes the RedisFailover's pods are the members)");
    if (sentinel !== undefined) {
        const sentinels = endpoints("sentinel", sentinel);
        return members === undefined ? { sentinels } : { sentinels, members: endpoints("members", members) };
    }
    if (namespace !== undefined && name !== undefined) {
        return { kubernetes: { kubeconfigFile: flags.kubeconfig, namespace, name } };
    }
    throw new UsageError("--sentinel, or --namespace and --name, is required");
}

/** The command from parsed flags; throws `UsageError` naming the bad flag. */
export function commandOf(flags: Flags): VerifyCommand {
    const expected = expectationsOf(flags);
    const timeoutSeconds = Number(flags.timeout ?? "10");
    if (!(timeoutSeconds > 0)) throw new UsageError("--timeout must be a positive number of seconds");
    const reach = reachOf(flags);
    const fronts = flags.front === undefined ? undefined : endpoints("front", flags.front);
    if (fronts?.length === 0) throw new UsageError("--front takes at least one HOST:PORT");
    const passwordEnv = flags["password-env"];
    if (passwordEnv !== undefined && process.env[passwordEnv] === undefined)
        throw new UsageError(`--password-env ${passwordEnv}: no such environment variable`);
    return {
        ...reach,
        ...(fronts ? { fronts } : {}),
        expected,
        passwordEnv,
        wait: flags.wait ?? false,
        timeoutSeconds,
        allowExternalServices: flags["allow-external-services"] ?? false,
        json: flags.json ?? false,
    };
}

/** Parses the command line; throws `UsageError` naming the bad flag. */
export function parseVerifyArgs(argv: string[]): VerifyCommand {
    return commandOf(parseFlags(SPEC, argv));
}

/**
 * Runs the checks once, or with `wait` until healthy or the timeout, reporting each unhealthy round
 * through `onProgress`. Returns the last report.
 */
export async function runVerify(
    command: VerifyCommand,
    onProgress?: (report: HealthReport, elapsedMs: number) => void,
): Promise<HealthReport> {
    const password = command.passwordEnv ? process.env[command.passwordEnv] : undefined;
    // Each network call gets a share of the budget, so one silent server cannot use all of it.
    const probeTimeoutMs = Math.max(100, Math.min(1000, (command.timeoutSeconds * 1000) / 4));
    const kube = command.kubernetes;
    const servers: Reach = kube
        ? {
              kubernetes: {
                  namespace: kube.namespace,
                  name: kube.name,
                  kubeconfig: kube.kubeconfigFile === undefined ? undefined : fs.readFileSync(kube.kubeconfigFile, "utf8"),
              },
          }
        : { sentinels: command.sentinels, members: command.members };
    const reach: Reach = command.fronts ? { ...servers, fronts: command.fronts } : servers;
    const opened = await openTarget(reach, password, probeTimeoutMs, { allowExternalServices: command.allowExternalServices });
    try {
        if (!command.wait) return await checkOnce(opened, command.expected);
        return await waitUntilHealthy(opened, command.expected, {
            timeoutMs: command.timeoutSeconds * 1000,
            intervalMs: WAIT_INTERVAL_MS,
            onProgress,
        });
    } finally {
        await opened.close();
    }
}

async function main(flags: Flags): Promise<number> {
    const command = commandOf(flags);
    const print = (report: HealthReport) => console.log(command.json ? JSON.stringify(report, null, 2) : formatReport(report));
    let last: HealthReport | undefined;
    // Whatever the servers do, the run ends by --timeout; waiting, with the last round's report.
    const timer = setTimeout(() => {
        if (last) {
            print(last);
            console.error(`verify: not healthy within ${command.timeoutSeconds}s: ${summarizeFailures(last).join("; ")}`);
        } else {
            console.error(`verify: no complete answer within ${command.timeoutSeconds}s`);
        }
        process.exit(1);
    }, command.timeoutSeconds * 1000);
    timer.unref();
    const report = await runVerify(command, (round, elapsedMs) => {
        last = round;
        console.error(
            `verify: not healthy after ${Math.round(elapsedMs / 1000)}s of ${command.timeoutSeconds}s: ${summarizeFailures(round).join("; ")}`,
        );
    });
    clearTimeout(timer);
    print(report);
    if (command.wait && !report.healthy) {
        console.error(`verify: not healthy within ${command.timeoutSeconds}s: ${summarizeFailures(report).join("; ")}`);
    }
    return report.healthy ? 0 : 1;
}

if (require.main === module) {
    runCommand(SPEC, main);
}
