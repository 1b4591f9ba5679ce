// Path drills on the lab of nodes: how a client that is given one way to the master fares when the
// master fails. Paths:
//   relabel  a plain-URL client through a model of the operator's master Service (lab/relabelProxy.ts);
//   haproxy  a plain-URL client through HAProxy with the role check only (front/haproxyConfig.ts, gate off);
//   front    a plain-URL client through the shipped front: the role check and the master gate;
//   sentinel a Sentinel-aware client (ioredis, the recommended settings), for reference.
// Faults on the master: kill (SIGKILL), hang (SIGSTOP, SIGCONT one second after Sentinel's
// switch) and partition (its node's link down for `partitionMs`; a second client on that node,
// through that node's own proxy or front, keeps writing). Measured per trial: fault to the first
// write the new master acknowledged, Sentinel's switch to it, acknowledged writes lost once the
// group has settled, and writes the old master acknowledged after the fault.

import { ChildProcess } from "child_process";
import * as fs from "fs";
import * as path from "path";
import IORedis from "ioredis";
import { MASTER_NAME, RESYNC_SECONDS } from "../facts/operator";
import { healNode, LabNode, nodeOf, partitionNode, spawnInNode, startNodeLab, stopNodeLab } from "../lab/nodes";
import { LabGroup, LabServer } from "../lab/redisLab";
import { drillGroupSpec, until, untilDemoted } from "./drillGroup";
import { addresses, Cleanups, folder, inNodeTarget, listenForSwitch, offNodeTarget } from "./pathTargets";
import { Ack, PathWriter, PathWriterInput, startPathWriter } from "./pathWriter";
import { AckedWrite, ackedWrites, countLost, fileSays, medianRange, readReport, scriptCommand, sleep } from "./support";

export const PATHS = ["relabel", "haproxy", "front", "sentinel"] as const;
export type MasterPath = (typeof PATHS)[number];
export const PATH_FAULTS = ["kill", "hang", "partition"] as const;
export type PathFault = (typeof PATH_FAULTS)[number];

export interface PathDrillOptions {
    downAfterMilliseconds: number;
    failoverTimeout: number;
    partitionMs: number;
}

export interface PathDrillResult {
    path: MasterPath;
    fault: PathFault;
    /** Fault to the first write the new master acknowledged; null when none within the cap. */
    recoveryMs: number | null;
    /** Sentinel's switch (first +switch-master heard) to that write. */
    afterSwitchMs: number | null;
    acked: number;
    lost: number;
    /** Writes the old master acknowledged after the fault. */
    oldMasterAcks: number;
    /**
     * Of those, the ones acknowledged after the new master had acknowledged one: writes taken by
     * two masters at once. The front must never have any.
     */
    twoMasterAcks: number;
}

/** A trial's lab, what it breaks, and what it started (undone at the end, in reverse). */
interface PathTrial {
    route: MasterPath;
    fault: PathFault;
    options: PathDrillOptions;
    group: LabGroup;
    oldMaster: LabServer;
    masterNode: LabNode;
    cleanups: Cleanups;
}

/**
 * The clients writing through the path: one keeping its connection, one opening new ones, and for
 * a partition one on the master's node.
 */
interface PathClients {
    writer: PathWriter;
    freshWriter: PathWriter;
    inNode?: { child: ChildProcess; out: string };
    /** The sentinels off the master's node, and the first +switch-master they publish. */
    survivors: Array<{ host: string; port: number }>;
    switchedAt: () => number | undefined;
}

/** How long a trial waits for the failover and the writes after it. */
const capOf = (options: PathDrillOptions) => options.downAfterMilliseconds + options.failoverTimeout + RESYNC_SECONDS * 1000 + 15_000;

/** Starts the client on the master's node, through that node's own proxy or front, and waits until it writes. */
async function startInNodeWriter(trial: PathTrial, password: string): Promise<PathClients["inNode"]> {
    const { route, group, masterNode, cleanups } = trial;
    const out = folder(group, "in-node-writer.json");
    const input: PathWriterInput = { target: await inNodeTarget(route, group, masterNode, cleanups), password, prefix: "p:", out };
    const log = folder(group, "in-node-writer.log");
    const child = spawnInNode(masterNode, scriptCommand(path.join("bench", "pathWriter.ts"), JSON.stringify(input)), log);
    cleanups.push(() => void child.kill("SIGKILL"));
    if (!(await until(() => fileSays(log, "writing"), 20_000))) {
        throw new Error(`the client on ${masterNode.name} did not start writing`);
    }
    return { child, out };
}

/** Set up: the switch listener, the writers through the path, and the first write before the fault. */
async function startClients(trial: PathTrial): Promise<PathClients> {
    const { route, fault, group, masterNode, cleanups } = trial;
    const survivors = addresses(group.sentinels.filter((s) => s.netns !== masterNode.netns));
    const switchedAt = listenForSwitch(survivors, cleanups);
    const password = group.spec.password;
    const offNode = await offNodeTarget(route, group, cleanups);
    const writer = startPathWriter({ target: offNode, password, prefix: "m:" });
    cleanups.push(() => writer.stop());
    // Beside the client that keeps its connection: new connections, as pools and workers open them.
    const freshWriter = startPathWriter({ target: offNode, password, prefix: "f:", fresh: true });
    cleanups.push(() => freshWriter.stop());
    const inNode = fault === "partition" ? await startInNodeWriter(trial, password) : undefined;
    if (!(await until(() => writer.acks.length > 0, 10_000))) throw new Error(`no write through the ${route} path before the fault`);
    await sleep(1000);
    return { writer, freshWriter, inNode, survivors, switchedAt };
}

/** Disturb: kills, hangs or partitions the master; returns when (epoch ms). */
function breakMaster({ fault, oldMaster, masterNode }: PathTrial): number {
    const t0 = Date.now();
    if (fault === "kill") process.kill(oldMaster.pid, "SIGKILL");
    else if (fault === "hang") process.kill(oldMaster.pid, "SIGSTOP");
    else partitionNode(masterNode);
    return t0;
}

/** Waits for Sentinel's switch and returns the master it chose; a hung old master is resumed a second later. */
async function awaitFailover(trial: PathTrial, clients: PathClients): Promise<LabServer> {
    const capMs = capOf(trial.options);
    await until(() => clients.switchedAt() !== undefined, capMs);
    const survivor = new IORedis({ ...clients.survivors[0], lazyConnect: true });
    survivor.on("error", () => undefined);
    await survivor.connect();
    const [newHost, newPort] = (await survivor.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME)) as string[];
    survivor.disconnect();
    const newMaster = trial.group.redis.find((s) => s.host === newHost && s.port === Number(newPort));
    if (!newMaster || newMaster === trial.oldMaster) throw new Error(`no failover within ${capMs} ms`);
    if (trial.fault === "hang") {
        await sleep(1000);
        process.kill(trial.oldMaster.pid, "SIGCONT");
    }
    return newMaster;
}

/** The first write the new master acknowledged after the fault. */
const firstOnNew = (clients: PathClients, t0: number, newMaster: LabServer) =>
    clients.writer.acks.find(([, at, server]) => at > t0 && server === path.basename(newMaster.dir));

/** Keeps writing until the new master has taken writes for 2 s (or the cap), then lets the group settle. */
async function settle(trial: PathTrial, clients: PathClients, t0: number, newMaster: LabServer): Promise<void> {
    const { fault, options, masterNode } = trial;
    await until(
        () => {
            const first = firstOnNew(clients, t0, newMaster);
            return first !== undefined && Date.now() - first[1] > 2000;
        },
        Math.max(0, t0 + capOf(options) - Date.now()),
    );
    if (fault === "partition") {
        await sleep(Math.max(0, t0 + options.partitionMs - Date.now()));
        healNode(masterNode);
    }
    if (fault !== "kill") await untilDemoted(trial.oldMaster, trial.group.spec.password, newMaster.host!);
}

/** Stops every client and returns every write acknowledged to any of them. */
async function stopClients({ writer, freshWriter, inNode }: PathClients): Promise<AckedWrite[]> {
    await writer.stop();
    await freshWriter.stop();
    let inNodeAcks: Ack[] = [];
    if (inNode) {
        inNode.child.kill("SIGTERM");
        await until(() => fs.existsSync(inNode.out), 10_000);
        inNodeAcks = readReport<{ acks: Ack[] }>(inNode.out)?.acks ?? [];
    }
    return [...ackedWrites("m:", writer.acks), ...ackedWrites("f:", freshWriter.acks), ...ackedWrites("p:", inNodeAcks)];
}

/** Writes taken by two masters at once: by the old one after the new one's first (the front must never have any). */
function twoMasterAcks(all: AckedWrite[], t0: number, oldFolder: string, newFolder: string): number {
    // A loop, not Math.min(...): a partition's acknowledgements overflow the call stack as arguments.
    const newFirstAt = all.reduce((first, a) => (a.at > t0 && a.server === newFolder ? Math.min(first, a.at) : first), Infinity);
    return all.filter((a) => a.server === oldFolder && a.at > newFirstAt).length;
}

/** Measure: the trial's figures, with the writes the new master does not have. */
async function measure(
    trial: PathTrial,
    clients: PathClients,
    t0: number,
    newMaster: LabServer,
    all: AckedWrite[],
): Promise<PathDrillResult> {
    const lost = await countLost(
        { host: newMaster.host!, port: newMaster.port },
        trial.group.spec.password,
        all.map((a) => a.key),
    );
    const oldFolder = path.basename(trial.oldMaster.dir);
    const first = firstOnNew(clients, t0, newMaster);
    const switched = clients.switchedAt();
    return {
        path: trial.route,
        fault: trial.fault,
        recoveryMs: first ? first[1] - t0 : null,
        afterSwitchMs: first && switched ? first[1] - switched : null,
        acked: all.length,
        lost,
        oldMasterAcks: all.filter((a) => a.at > t0 && a.server === oldFolder).length,
        twoMasterAcks: twoMasterAcks(all, t0, oldFolder, path.basename(newMaster.dir)),
    };
}

/** One trial on a fresh lab of nodes (3 nodes, one redis and one sentinel each). */
export async function pathDrillTrial(
    root: string,
    route: MasterPath,
    fault: PathFault,
    options: PathDrillOptions,
): Promise<PathDrillResult> {
    const lab = await startNodeLab([drillGroupSpec("paths", options)], 3, root);
    const cleanups: Cleanups = [];
    try {
        if (!lab.isolated) throw new Error(`path drills need network namespaces: ${lab.fallbackReason}`);
        const group = lab.groups[0];
        const trial: PathTrial = {
            route,
            fault,
            options,
            group,
            oldMaster: group.redis[0],
            masterNode: nodeOf(lab, group.redis[0]),
            cleanups,
        };
        const clients = await startClients(trial);
        const t0 = breakMaster(trial);
        const newMaster = await awaitFailover(trial, clients);
        await settle(trial, clients, t0, newMaster);
        const all = await stopClients(clients);
        return await measure(trial, clients, t0, newMaster, all);
    } finally {
        // Tear down: what the trial started, last first, then the lab.
        for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
        await stopNodeLab(lab);
    }
}

const range = (values: number[]) => medianRange(values, "none");

/** Every path and fault, `trials` times each; prints a Markdown table and returns the results. */
export async function runPathDrills(
    root: string,
    trials: number,
    options: PathDrillOptions,
    paths: readonly MasterPath[] = PATHS,
    faults: readonly PathFault[] = PATH_FAULTS,
): Promise<PathDrillResult[]> {
    console.log(
        `\n## path drills (3 nodes, one redis + one sentinel each; down-after-milliseconds ${options.downAfterMilliseconds}, ` +
            `failover-timeout ${options.failoverTimeout}; partition ${options.partitionMs / 1000} s; no min-replicas; ${trials} trials each)\n`,
    );
    console.log(
        "| fault | path | recovered | fault → first write on new master, ms | switch → first write, ms | old master acked after fault | of which after the new master's first | lost / acknowledged, per trial |",
    );
    console.log("|---|---|---|---|---|---|---|---|");
    const results: PathDrillResult[] = [];
    for (const fault of faults) {
        for (const route of paths) {
            const runs: PathDrillResult[] = [];
            for (let i = 0; i < trials; i++) {
                runs.push(await pathDrillTrial(root, route, fault, options));
                process.stderr.write(".");
            }
            results.push(...runs);
            const recovered = runs.flatMap((r) => (r.recoveryMs === null ? [] : [r.recoveryMs]));
            const afterSwitch = runs.flatMap((r) => (r.afterSwitchMs === null ? [] : [r.afterSwitchMs]));
            console.log(
                `| ${fault} | ${route} | ${recovered.length}/${trials} | ${range(recovered)} | ${range(afterSwitch)} | ` +
                    `${runs.map((r) => r.oldMasterAcks).join(", ")} | ${runs.map((r) => r.twoMasterAcks).join(", ")} | ` +
                    runs.map((r) => `${r.lost}/${r.acked}`).join(", ") +
                    " |",
            );
        }
    }
    return results;
}
