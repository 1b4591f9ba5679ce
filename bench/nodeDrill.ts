// Drills on the lab of nodes (lab/nodes.ts): the master's node is lost (every process killed, link
// down) or partitioned (link down, its processes and a client on it keep running, healed after
// `partitionMs`), while a client on another node writes through Sentinel with the recommended
// settings. Measured: time from the fault to the first write acknowledged by the new master,
// acknowledged writes missing from the new master once the group has settled, and how long the old
// master kept acknowledging writes after the fault; with and without `min-replicas-to-write 1`
// (`min-replicas-max-lag`), set by CONFIG SET through the group's customConfig as the operator would.

import { ChildProcess } from "child_process";
import * as fs from "fs";
import * as path from "path";
import IORedis from "ioredis";
import { MASTER_NAME } from "../facts/operator";
import { LabNode, loseNode, nodeOf, NodeLab, partitionNode, healNode, spawnInNode, startNodeLab, stopNodeLab } from "../lab/nodes";
import { GroupSpec, LabGroup, LabServer } from "../lab/redisLab";
import { recommendedSentinelClientOptions } from "./clientSettings";
import { DrillWriterInput, DrillWriterOutput } from "./drillWriter";
import { drillGroupSpec, until, untilDemoted } from "./drillGroup";
import { AckedWrite, ackedWrites, countLost, fileSays, medianRange, readReport, scriptCommand, sleep } from "./support";

export type NodeFault = "node-loss" | "partition";

/** Settings of the drills. */
export interface NodeDrillOptions {
    downAfterMilliseconds: number;
    failoverTimeout: number;
    /** `min-replicas-max-lag` in seconds, for the trials with `min-replicas-to-write 1`. */
    minReplicasMaxLag: number;
    /** How long a partition lasts. */
    partitionMs: number;
}

/** One trial's figures. */
export interface NodeDrillResult {
    fault: NodeFault;
    minReplicas: boolean;
    /** Fault to the first write the new master acknowledged; null when none within the cap. */
    recoveryMs: number | null;
    acked: number;
    lost: number;
    /** Writes the old master acknowledged after the fault, and the last one's time after it (ms). */
    oldMasterAcks: number;
    oldMasterAckedForMs: number;
}

function drillSpec(minReplicas: boolean, options: NodeDrillOptions): GroupSpec {
    return drillGroupSpec(
        "drill",
        options,
        minReplicas ? ["min-replicas-to-write 1", `min-replicas-max-lag ${options.minReplicasMaxLag}`] : [],
    );
}

/** A trial's lab and what it breaks: the first master and its node. */
interface NodeTrial {
    fault: NodeFault;
    options: NodeDrillOptions;
    group: LabGroup;
    sentinels: Array<{ host: string; port: number }>;
    oldMaster: LabServer;
    oldAddress: string;
    masterNode: LabNode;
    /** Where the client on the master's node reports, and logs. */
    out: string;
    log: string;
}

/** A client off the master's node writing `m:<n>` through Sentinel with the recommended settings. */
interface SentinelWriter {
    acks: AckedWrite[];
    /** Stops at once, without waiting for the write under way. */
    close(): void;
    /** Stops, waiting (at most 2 s) for the write under way. */
    stop(): Promise<void>;
}

function startSentinelWriter({ sentinels, group }: NodeTrial): SentinelWriter {
    const writer = new IORedis({ sentinels, name: MASTER_NAME, password: group.spec.password, ...recommendedSentinelClientOptions() });
    writer.on("error", () => undefined);
    const acks: AckedWrite[] = [];
    let running = true;
    const loop = (async () => {
        for (let n = 0; running; n++) {
            try {
                await writer.set(`m:${n}`, "1");
                acks.push({ key: `m:${n}`, at: Date.now(), server: `${writer.stream?.remoteAddress}:${writer.stream?.remotePort}` });
            } catch {
                await sleep(10);
            }
        }
    })();
    const close = () => {
        running = false;
        writer.disconnect();
    };
    const stop = async () => {
        close();
        await Promise.race([loop, sleep(2000)]);
    };
    return { acks, close, stop };
}

/** The lab's group as a trial; a lab without namespaces is stopped and refused. */
async function trialOn(lab: NodeLab, fault: NodeFault, options: NodeDrillOptions): Promise<NodeTrial> {
    if (!lab.isolated) {
        await stopNodeLab(lab);
        throw new Error(`node drills need network namespaces: ${lab.fallbackReason}`);
    }
    const group = lab.groups[0];
    const oldMaster = group.redis[0];
    return {
        fault,
        options,
        group,
        sentinels: group.sentinels.map((s) => ({ host: s.host!, port: s.port })),
        oldMaster,
        oldAddress: `${oldMaster.host}:${oldMaster.port}`,
        masterNode: nodeOf(lab, oldMaster),
        out: path.join(group.dir, "in-node-writer.json"),
        log: path.join(group.dir, "in-node-writer.log"),
    };
}

/** Set up, for a partition: a client on the master's node, asking its own node's sentinel first. */
async function startInNodeWriter({ group, sentinels, masterNode, out, log }: NodeTrial): Promise<ChildProcess> {
    const local = group.sentinels.findIndex((s) => s.netns === masterNode.netns);
    const input: DrillWriterInput = {
        sentinels: [sentinels[local], ...sentinels.filter((_, i) => i !== local)],
        name: MASTER_NAME,
        password: group.spec.password,
        prefix: "p:",
        out,
    };
    const child = spawnInNode(masterNode, scriptCommand(path.join("bench", "drillWriter.ts"), JSON.stringify(input)), log);
    if (!(await until(async () => fileSays(log, "writing"), 20_000))) {
        throw new Error(
            `the client on ${masterNode.name} did not start writing: ${fs.existsSync(log) ? fs.readFileSync(log, "utf8") : ""}`,
        );
    }
    return child;
}

/** Disturb: loses or partitions the master's node; returns when (epoch ms). */
async function breakNode({ fault, masterNode }: NodeTrial): Promise<number> {
    const t0 = Date.now();
    if (fault === "node-loss") await loseNode(masterNode);
    else partitionNode(masterNode);
    return t0;
}

/**
 * Waits (to the cap) for Sentinel to name another master, and for the client to have written to it
 * for 2 s; returns the new master's address.
 */
async function awaitFailover(trial: NodeTrial, writer: SentinelWriter, t0: number): Promise<string> {
    const { group, sentinels, masterNode, options } = trial;
    const survivor = new IORedis({ ...sentinels[group.sentinels.findIndex((s) => s.netns !== masterNode.netns)], lazyConnect: true });
    survivor.on("error", () => undefined);
    await survivor.connect();
    try {
        const masterNow = async () => ((await survivor.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME)) as string[]).join(":");
        const capMs = options.downAfterMilliseconds + options.failoverTimeout + 20_000;
        await until(async () => (await masterNow()) !== trial.oldAddress, capMs);
        const newAddress = await masterNow();
        await until(
            async () => {
                const first = firstOn(writer, t0, newAddress);
                return first !== undefined && Date.now() - first.at > 2000;
            },
            Math.max(0, t0 + capMs - Date.now()),
        );
        return newAddress;
    } finally {
        survivor.disconnect();
    }
}

/** The first write `address` acknowledged after the fault. */
const firstOn = (writer: SentinelWriter, t0: number, address: string) => writer.acks.find((a) => a.at > t0 && a.server === address);

/** For a partition: heals it once it has lasted its time, lets the group settle, stops the client on the node. */
async function healAndSettle(trial: NodeTrial, inNode: ChildProcess, t0: number, newAddress: string): Promise<void> {
    await sleep(Math.max(0, t0 + trial.options.partitionMs - Date.now()));
    healNode(trial.masterNode);
    await untilDemoted(trial.oldMaster, trial.group.spec.password, newAddress.split(":")[0]);
    inNode.kill("SIGTERM");
    await until(async () => fs.existsSync(trial.out), 10_000);
}

/** Measure: the trial's figures, with the writes the new master does not have. */
async function measure(
    trial: NodeTrial,
    minReplicas: boolean,
    writer: SentinelWriter,
    t0: number,
    newAddress: string,
): Promise<NodeDrillResult> {
    const inNodeAcks = ackedWrites("p:", readReport<DrillWriterOutput>(trial.out)?.acks ?? []);
    const all = [...writer.acks, ...inNodeAcks];
    const [host, port] = newAddress.split(":");
    const lost = await countLost(
        { host, port: Number(port) },
        trial.group.spec.password,
        all.map((a) => a.key),
    );
    const first = firstOn(writer, t0, newAddress);
    const byOld = all.filter((a) => a.at > t0 && a.server === trial.oldAddress);
    return {
        fault: trial.fault,
        minReplicas,
        recoveryMs: first ? first.at - t0 : null,
        acked: all.length,
        lost,
        oldMasterAcks: byOld.length,
        oldMasterAckedForMs: byOld.reduce((last, a) => Math.max(last, a.at - t0), 0),
    };
}

/** One trial on a fresh lab of nodes (3 nodes: one redis and one sentinel each). */
export async function nodeDrillTrial(
    root: string,
    fault: NodeFault,
    minReplicas: boolean,
    options: NodeDrillOptions,
): Promise<NodeDrillResult> {
    const lab: NodeLab = await startNodeLab([drillSpec(minReplicas, options)], 3, root);
    const trial = await trialOn(lab, fault, options);
    const writer = startSentinelWriter(trial);
    try {
        const inNode = fault === "partition" ? await startInNodeWriter(trial) : undefined;
        await sleep(1000);
        const t0 = await breakNode(trial);
        const newAddress = await awaitFailover(trial, writer, t0);
        if (inNode) await healAndSettle(trial, inNode, t0, newAddress);
        await writer.stop();
        return await measure(trial, minReplicas, writer, t0, newAddress);
    } finally {
        // Tear down: the client, then the lab (with the client on the node, if any).
        writer.close();
        await stopNodeLab(lab);
    }
}

/** Every case, `trials` times each; prints a table and returns the results. */
export async function runNodeDrills(root: string, trials: number, options: NodeDrillOptions): Promise<NodeDrillResult[]> {
    console.log(
        `\n## node drills (3 nodes, one redis + one sentinel each; down-after-milliseconds ${options.downAfterMilliseconds}, ` +
            `failover-timeout ${options.failoverTimeout}; partition ${options.partitionMs / 1000} s; min-replicas-max-lag ${options.minReplicasMaxLag}; ${trials} trials each)`,
    );
    console.log("fault      min-replicas  recovered  recovery median (min..max) ms  old master acked for, ms  acked writes lost per trial");
    const results: NodeDrillResult[] = [];
    for (const fault of ["node-loss", "partition"] as const) {
        for (const minReplicas of [false, true]) {
            const runs: NodeDrillResult[] = [];
            for (let i = 0; i < trials; i++) {
                runs.push(await nodeDrillTrial(root, fault, minReplicas, options));
                process.stderr.write(".");
            }
            results.push(...runs);
            const recovered = runs.flatMap((r) => (r.recoveryMs === null ? [] : [r.recoveryMs]));
            const recovery = medianRange(recovered, "never within the cap");
            console.log(
                `${fault.padEnd(10)} ${(minReplicas ? "1, lag " + options.minReplicasMaxLag : "off").padEnd(13)} ${`${recovered.length}/${trials}`.padEnd(10)} ` +
                    `${recovery.padEnd(30)} ${runs
                        .map((r) => r.oldMasterAckedForMs)
                        .join(", ")
                        .padEnd(25)} ` +
                    runs.map((r) => `${r.lost}/${r.acked}`).join(", "),
            );
        }
    }
    return results;
}
