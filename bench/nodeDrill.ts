// Drills on the lab of nodes (lab/nodes.ts): the master's node is lost (every process killed, link
// down) or partitioned (link down, its processes and a client on it keep running, healed after
// `partitionMs`), while a client on another node writes through Sentinel with the recommended
// settings. Measured: time from the fault to the first write acknowledged by the new master,
// acknowledged writes missing from the new master once the group has settled, and how long the old
// master kept acknowledging writes after the fault; with and without `min-replicas-to-write 1`
// (`min-replicas-max-lag`), set by CONFIG SET through the group's customConfig as the operator would.

import * as fs from "fs";
import * as path from "path";
import IORedis from "ioredis";
import { MASTER_NAME } from "../facts/operator";
import { LabNode, loseNode, nodeOf, NodeLab, partitionNode, healNode, spawnInNode, startNodeLab, stopNodeLab } from "../lab/nodes";
import { GroupSpec } from "../lab/redisLab";
import { recommendedSentinelClientOptions } from "./clientSettings";
import { DrillWriterInput, DrillWriterOutput } from "./drillWriter";
import { drillGroupSpec, sleep, until } from "./drillGroup";

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

const PROJECT_DIR = path.resolve(__dirname, "..");

function drillSpec(minReplicas: boolean, options: NodeDrillOptions): GroupSpec {
    return drillGroupSpec(
        "drill",
        options,
        minReplicas ? ["min-replicas-to-write 1", `min-replicas-max-lag ${options.minReplicasMaxLag}`] : [],
    );
}

/** One trial on a fresh lab of nodes (3 nodes: one redis and one sentinel each). */
export async function nodeDrillTrial(
    root: string,
    fault: NodeFault,
    minReplicas: boolean,
    options: NodeDrillOptions,
): Promise<NodeDrillResult> {
    const lab: NodeLab = await startNodeLab([drillSpec(minReplicas, options)], 3, root);
    if (!lab.isolated) {
        await stopNodeLab(lab);
        throw new Error(`node drills need network namespaces: ${lab.fallbackReason}`);
    }
    const group = lab.groups[0];
    const sentinels = group.sentinels.map((s) => ({ host: s.host!, port: s.port }));
    const oldMaster = group.redis[0];
    const oldAddress = `${oldMaster.host}:${oldMaster.port}`;
    const masterNode: LabNode = nodeOf(lab, oldMaster);
    const writer = new IORedis({ sentinels, name: MASTER_NAME, password: group.spec.password, ...recommendedSentinelClientOptions() });
    writer.on("error", () => undefined);
    const acks: Array<{ key: string; at: number; server: string }> = [];
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
    const out = path.join(group.dir, "in-node-writer.json");
    const log = path.join(group.dir, "in-node-writer.log");
    try {
        let inNode: ReturnType<typeof spawnInNode> | undefined;
        if (fault === "partition") {
            // A client on the master's node, asking its own node's sentinel first.
            const local = group.sentinels.findIndex((s) => s.netns === masterNode.netns);
            const input: DrillWriterInput = {
                sentinels: [sentinels[local], ...sentinels.filter((_, i) => i !== local)],
                name: MASTER_NAME,
                password: group.spec.password,
                prefix: "p:",
                out,
            };
            const command = [process.execPath, "-r", "ts-node/register/transpile-only", path.join(PROJECT_DIR, "bench", "drillWriter.ts")];
            inNode = spawnInNode(masterNode, [...command, JSON.stringify(input)], log);
            if (!(await until(async () => fs.existsSync(log) && fs.readFileSync(log, "utf8").includes("writing"), 20_000))) {
                throw new Error(
                    `the client on ${masterNode.name} did not start writing: ${fs.existsSync(log) ? fs.readFileSync(log, "utf8") : ""}`,
                );
            }
        }
        await sleep(1000);
        const t0 = Date.now();
        if (fault === "node-loss") await loseNode(masterNode);
        else partitionNode(masterNode);

        const survivor = new IORedis({ ...sentinels[group.sentinels.findIndex((s) => s.netns !== masterNode.netns)], lazyConnect: true });
        survivor.on("error", () => undefined);
        await survivor.connect();
        const masterNow = async () => ((await survivor.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME)) as string[]).join(":");
        const capMs = options.downAfterMilliseconds + options.failoverTimeout + 20_000;
        await until(async () => (await masterNow()) !== oldAddress, capMs);
        const newAddress = await masterNow();
        // The client must have written to the new master for a while (2 s) before we stop.
        await until(
            async () => {
                const first = acks.find((a) => a.at > t0 && a.server === newAddress);
                return first !== undefined && Date.now() - first.at > 2000;
            },
            Math.max(0, t0 + capMs - Date.now()),
        );
        if (fault === "partition") {
            await sleep(Math.max(0, t0 + options.partitionMs - Date.now()));
            healNode(masterNode);
            // Settled: the old master is a replica of the new one with its link up (its own writes discarded).
            const old = new IORedis({
                host: oldMaster.host,
                port: oldMaster.port,
                password: group.spec.password,
                retryStrategy: () => 200,
            });
            old.on("error", () => undefined);
            await until(async () => {
                const info = (await old.info("replication")) as string;
                return (
                    info.includes("role:slave") &&
                    info.includes(`master_host:${newAddress.split(":")[0]}`) &&
                    info.includes("master_link_status:up")
                );
            }, 60_000);
            old.disconnect();
            await sleep(1000);
            inNode!.kill("SIGTERM");
            await until(async () => fs.existsSync(out), 10_000);
        }
        survivor.disconnect();
        running = false;
        writer.disconnect();
        await Promise.race([loop, sleep(2000)]);

        const inNodeAcks = fs.existsSync(out)
            ? (JSON.parse(fs.readFileSync(out, "utf8")) as DrillWriterOutput).acks.map(([n, at, server]) => ({ key: `p:${n}`, at, server }))
            : [];
        const all = [...acks, ...inNodeAcks];
        const [host, port] = newAddress.split(":");
        const reader = new IORedis({ host, port: Number(port), password: group.spec.password, lazyConnect: true });
        await reader.connect();
        let present = 0;
        for (let i = 0; i < all.length; i += 1000) {
            const values = await reader.mget(...all.slice(i, i + 1000).map((a) => a.key));
            present += values.filter((v) => v !== null).length;
        }
        reader.disconnect();
        const first = acks.find((a) => a.at > t0 && a.server === newAddress);
        const byOld = all.filter((a) => a.at > t0 && a.server === oldAddress);
        return {
            fault,
            minReplicas,
            recoveryMs: first ? first.at - t0 : null,
            acked: all.length,
            lost: all.length - present,
            oldMasterAcks: byOld.length,
            oldMasterAckedForMs: byOld.reduce((last, a) => Math.max(last, a.at - t0), 0),
        };
    } finally {
        running = false;
        writer.disconnect();
        await stopNodeLab(lab);
    }
}

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
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
            const recovery = recovered.length
                ? `${median(recovered)} (${Math.min(...recovered)}..${Math.max(...recovered)})`
                : "never within the cap";
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
