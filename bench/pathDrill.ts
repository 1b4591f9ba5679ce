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

import * as fs from "fs";
import * as path from "path";
import IORedis from "ioredis";
import { MASTER_NAME, RESYNC_SECONDS } from "../facts/operator";
import { healNode, nodeOf, partitionNode, spawnInNode, startNodeLab, stopNodeLab } from "../lab/nodes";
import { drillGroupSpec, sleep, until } from "./drillGroup";
import { addresses, Cleanups, folder, inNodeTarget, listenForSwitch, offNodeTarget } from "./pathTargets";
import { Ack, PathWriterInput, startPathWriter } from "./pathWriter";

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

const PROJECT_DIR = path.resolve(__dirname, "..");

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
        const oldMaster = group.redis[0];
        const masterNode = nodeOf(lab, oldMaster);
        const survivors = addresses(group.sentinels.filter((s) => s.netns !== masterNode.netns));
        const switchedAt = listenForSwitch(survivors, cleanups);
        const password = group.spec.password;
        const offNode = await offNodeTarget(route, group, cleanups);
        const writer = startPathWriter({ target: offNode, password, prefix: "m:" });
        cleanups.push(() => writer.stop());
        // Beside the client that keeps its connection: new connections, as pools and workers open them.
        const freshWriter = startPathWriter({ target: offNode, password, prefix: "f:", fresh: true });
        cleanups.push(() => freshWriter.stop());

        let inNode: ReturnType<typeof spawnInNode> | undefined;
        const out = folder(group, "in-node-writer.json");
        if (fault === "partition") {
            const input: PathWriterInput = { target: await inNodeTarget(route, group, masterNode, cleanups), password, prefix: "p:", out };
            const log = folder(group, "in-node-writer.log");
            const command = [
                process.execPath,
                "-r",
                "ts-node/register/transpile-only",
                path.join(PROJECT_DIR, "bench", "pathWriter.ts"),
                JSON.stringify(input),
            ];
            const child = spawnInNode(masterNode, command, log);
            inNode = child;
            cleanups.push(() => void child.kill("SIGKILL"));
            if (!(await until(() => fs.existsSync(log) && fs.readFileSync(log, "utf8").includes("writing"), 20_000))) {
                throw new Error(`the client on ${masterNode.name} did not start writing`);
            }
        }
        if (!(await until(() => writer.acks.length > 0, 10_000))) throw new Error(`no write through the ${route} path before the fault`);
        await sleep(1000);

        const t0 = Date.now();
        if (fault === "kill") process.kill(oldMaster.pid, "SIGKILL");
        else if (fault === "hang") process.kill(oldMaster.pid, "SIGSTOP");
        else partitionNode(masterNode);

        const capMs = options.downAfterMilliseconds + options.failoverTimeout + RESYNC_SECONDS * 1000 + 15_000;
        await until(() => switchedAt() !== undefined, capMs);
        const survivor = new IORedis({ ...survivors[0], lazyConnect: true });
        survivor.on("error", () => undefined);
        await survivor.connect();
        const [newHost, newPort] = (await survivor.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME)) as string[];
        survivor.disconnect();
        const newMaster = group.redis.find((s) => s.host === newHost && s.port === Number(newPort));
        if (!newMaster || newMaster === oldMaster) throw new Error(`no failover within ${capMs} ms`);
        const oldFolder = path.basename(oldMaster.dir);
        const newFolder = path.basename(newMaster.dir);
        if (fault === "hang") {
            await sleep(1000);
            process.kill(oldMaster.pid, "SIGCONT");
        }
        const firstNew = () => writer.acks.find(([, at, server]) => at > t0 && server === newFolder);
        await until(
            () => {
                const first = firstNew();
                return first !== undefined && Date.now() - first[1] > 2000;
            },
            Math.max(0, t0 + capMs - Date.now()),
        );

        if (fault === "partition") {
            await sleep(Math.max(0, t0 + options.partitionMs - Date.now()));
            healNode(masterNode);
        }
        if (fault !== "kill") {
            // Settled: the old master is a replica of the new one, its link up (its own writes discarded).
            const old = new IORedis({ host: oldMaster.host, port: oldMaster.port, password, retryStrategy: () => 200 });
            old.on("error", () => undefined);
            await until(async () => {
                const info = (await old.info("replication")) as string;
                return info.includes("role:slave") && info.includes(`master_host:${newHost}`) && info.includes("master_link_status:up");
            }, 60_000);
            old.disconnect();
            await sleep(1000);
        }
        await writer.stop();
        await freshWriter.stop();
        let inNodeAcks: Ack[] = [];
        if (inNode) {
            inNode.kill("SIGTERM");
            await until(() => fs.existsSync(out), 10_000);
            inNodeAcks = fs.existsSync(out) ? (JSON.parse(fs.readFileSync(out, "utf8")) as { acks: Ack[] }).acks : [];
        }
        const all = [
            ...writer.acks.map((a) => ({ key: `m:${a[0]}`, at: a[1], server: a[2] })),
            ...freshWriter.acks.map((a) => ({ key: `f:${a[0]}`, at: a[1], server: a[2] })),
            ...inNodeAcks.map((a) => ({ key: `p:${a[0]}`, at: a[1], server: a[2] })),
        ];
        const reader = new IORedis({ host: newHost, port: Number(newPort), password, lazyConnect: true });
        await reader.connect();
        let present = 0;
        for (let i = 0; i < all.length; i += 1000) {
            const values = await reader.mget(...all.slice(i, i + 1000).map((a) => a.key));
            present += values.filter((v) => v !== null).length;
        }
        reader.disconnect();
        const first = firstNew();
        const switched = switchedAt();
        return {
            path: route,
            fault,
            recoveryMs: first ? first[1] - t0 : null,
            afterSwitchMs: first && switched ? first[1] - switched : null,
            acked: all.length,
            lost: all.length - present,
            oldMasterAcks: all.filter((a) => a.at > t0 && a.server === oldFolder).length,
            twoMasterAcks: (() => {
                // A loop, not Math.min(...): a partition's acknowledgements overflow the call stack as arguments.
                const firstOnNew = all.reduce(
                    (first, a) => (a.at > t0 && a.server === newFolder ? Math.min(first, a.at) : first),
                    Infinity,
                );
                return all.filter((a) => a.server === oldFolder && a.at > firstOnNew).length;
            })(),
        };
    } finally {
        for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
        await stopNodeLab(lab);
    }
}

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
}

const range = (values: number[]) => (values.length ? `${median(values)} (${Math.min(...values)}..${Math.max(...values)})` : "none");

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
