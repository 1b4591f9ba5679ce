// The ways to the master the path drills give their clients (bench/pathDrill.ts): a model of the
// operator's master Service, a front (gated or not), or Sentinel; and the first +switch-master.

import * as path from "path";
import IORedis from "ioredis";
import { MASTER_NAME } from "../facts/operator";
import { LabFront, startFront, stopFront } from "../lab/front";
import { LabNode, spawnInNode } from "../lab/nodes";
import { LabGroup } from "../lab/redisLab";
import { RelabelProxy, startRelabelProxy } from "../lab/relabelProxy";
import type { MasterPath } from "./pathDrill";
import { until } from "./drillGroup";
import { WriterTarget } from "./pathWriter";
import { fileSays, scriptCommand } from "./support";

/** Undoes what a step started; run in reverse order at the end of a trial. */
export type Cleanups = Array<() => Promise<void> | void>;

/** Where a proxy or front inside the master's node listens. */
const IN_NODE_PORT = 7379;

export const folder = (group: LabGroup, name: string) => path.join(group.dir, name);
export const addresses = (servers: Array<{ host?: string; port: number }>) => servers.map((s) => ({ host: s.host!, port: s.port }));

/** The way to the master a client off the master's node is given. */
export async function offNodeTarget(route: MasterPath, group: LabGroup, cleanups: Cleanups): Promise<WriterTarget> {
    if (route === "sentinel") return { sentinels: addresses(group.sentinels), name: MASTER_NAME };
    if (route === "relabel") {
        const proxy: RelabelProxy = await startRelabelProxy({
            listen: { host: "127.0.0.1", port: 0 },
            servers: addresses(group.redis),
            password: group.spec.password,
        });
        cleanups.push(() => proxy.close());
        return { url: proxy.address() };
    }
    const front: LabFront = await startFront(group, { dir: folder(group, `front-host-${route}`), gate: route === "front" });
    cleanups.push(() => stopFront(front));
    return { url: { host: front.host, port: front.port } };
}

/** The way to the master a client on the master's node is given: that node's own proxy or front. */
export async function inNodeTarget(route: MasterPath, group: LabGroup, node: LabNode, cleanups: Cleanups): Promise<WriterTarget> {
    if (route === "sentinel") {
        const local = group.sentinels.findIndex((s) => s.netns === node.netns);
        const all = addresses(group.sentinels);
        return { sentinels: [all[local], ...all.filter((_, i) => i !== local)], name: MASTER_NAME };
    }
    if (route === "relabel") {
        const input = {
            listen: { host: node.address, port: IN_NODE_PORT },
            servers: addresses(group.redis),
            password: group.spec.password,
        };
        const log = folder(group, "in-node-relabel.log");
        const child = spawnInNode(node, scriptCommand(path.join("lab", "relabelProxy.ts"), JSON.stringify(input)), log);
        cleanups.push(() => void child.kill("SIGKILL"));
        if (!(await until(() => fileSays(log, "listening"), 20_000))) {
            throw new Error(`the relabel model on ${node.name} did not start`);
        }
        return { url: { host: node.address, port: IN_NODE_PORT } };
    }
    const front = await startFront(group, {
        dir: folder(group, `front-node-${route}`),
        netns: node.netns,
        host: node.address,
        port: IN_NODE_PORT,
        gate: route === "front",
    });
    cleanups.push(() => stopFront(front));
    return { url: { host: node.address, port: IN_NODE_PORT } };
}

/** First +switch-master any of `sentinels` publishes, as epoch ms (undefined until then). */
export function listenForSwitch(sentinels: Array<{ host: string; port: number }>, cleanups: Cleanups): () => number | undefined {
    let switchedAt: number | undefined;
    for (const sentinel of sentinels) {
        const subscriber = new IORedis({ ...sentinel, retryStrategy: () => 500 });
        subscriber.on("error", () => undefined);
        void subscriber.subscribe("+switch-master").catch(() => undefined);
        subscriber.on("message", () => (switchedAt ??= Date.now()));
        cleanups.push(() => subscriber.disconnect());
    }
    return () => switchedAt;
}
