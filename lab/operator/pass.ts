// The steps of one operator pass (CheckAndHeal, spotahome/redis-operator `operator/redisfailover/
// checker.go`) after its early returns, on a group in motion (lab/operator/motion.ts). What each step
// asks and sends is in `service/redis/client.go`; the lab's versions of the commands are in
// lab/operator/steps.ts.

import type { BootstrapNode, MotionPod, OperatorInMotion } from "./motion";
import { HOST } from "../redisLab";
import {
    Address,
    newSentinelMonitor,
    operatorQuorum,
    operatorRedisCustomConfig,
    operatorSentinelCustomConfig,
    setOldestAsMaster,
    setRedisCustomConfig,
    setSentinelCustomConfig,
    withClient,
} from "./steps";
import { MASTER_NAME } from "../../facts/operator";

const address = (pod: MotionPod): Address => ({ host: pod.server.host ?? HOST, port: pod.server.port });

async function replication(pod: MotionPod, password: string): Promise<string> {
    return withClient(address(pod), password, (client) => client.info("replication"));
}

/** The redis half of a pass: the master, its replicas, customConfig, the update order. */
export async function motionRedisPassing(
    model: OperatorInMotion,
): Promise<{ done: true; master: Address; said: string } | { done: false; said: string }> {
    const { password } = model.group.spec;
    const infos = await Promise.all(model.redis.map((pod) => replication(pod, password)));
    const masters = model.redis.filter((_, index) => /role:master/.test(infos[index]));
    if (masters.length === 0) {
        // checker.go, case 0: when the sentinels lack quorum (CheckSentinelQuorum) or every redis
        // still has the template's 127.0.0.1 master (CheckIfMasterLocalhost), the operator makes the
        // oldest master; otherwise it waits for Sentinel (or a person) to name one.
        if (!(await sentinelsHaveQuorum(model))) {
            await setOldestAsMaster(model.redis.map(address), password);
            return { done: false, said: "no master, sentinels without quorum: the oldest made master" };
        }
        if (infos.every((info) => info.includes("master_host:127.0.0.1"))) {
            await setOldestAsMaster(model.redis.map(address), password);
            return { done: false, said: "no master, every redis on 127.0.0.1: the oldest made master" };
        }
        return { done: false, said: "no master found, waiting for the failover" };
    }
    // checker.go, default case: `more than one master, fix manually` (it never repairs split brain).
    if (masters.length > 1) return { done: false, said: "error: more than one master, fix manually" };
    const master = address(masters[0]);
    // CheckAllSlavesFromMaster, else SetMasterOnAll (service/heal.go): SLAVEOF the master on the others.
    const moved: string[] = [];
    for (const [index, pod] of model.redis.entries()) {
        if (pod === masters[0]) continue;
        if (!infos[index].includes(`master_host:${master.host}\r\n`) || !infos[index].includes(`master_port:${master.port}\r\n`)) {
            await withClient(address(pod), password, (client) => client.call("SLAVEOF", master.host, String(master.port)));
            moved.push(`redis ${index} made replica of the master`);
        }
    }
    // applyRedisCustomConfig: CONFIG SET of customConfig on every redis.
    for (const pod of model.redis) await setRedisCustomConfig(address(pod), password, operatorRedisCustomConfig(model.group.spec));
    return { done: true, master, said: [...moved, await updateRedisPods(model, masters[0])].join(", ") };
}

/**
 * service/check.go, CheckSentinelQuorum: fewer sentinels than the quorum, or at least a quorum of
 * them answering CKQUORUM with an error (client.go SentinelCheckQuorum), is "no quorum".
 */
async function sentinelsHaveQuorum(model: OperatorInMotion): Promise<boolean> {
    const quorum = operatorQuorum(model.group.spec.sentinelCount);
    if (model.sentinels.length < quorum) return false;
    const answers = await Promise.all(
        model.sentinels.map((pod) =>
            withClient(address(pod), undefined, (client) => client.call("SENTINEL", "CKQUORUM", MASTER_NAME)).then(
                () => true,
                () => false,
            ),
        ),
    );
    return answers.filter((ok) => !ok).length < quorum;
}

/**
 * checker.go, checkAndHealBootstrapMode: UpdateRedisesPods (with no master: every pod must be a
 * ready replica), customConfig, then every pod made a replica of the bootstrap node, dialled on
 * the bootstrap port (heal.go SetExternalMasterOnAll, client.go MakeSlaveOfWithPort). With
 * sentinels allowed: the early return while one is not running, each sentinel pointed at the
 * bootstrap node (NewSentinelMonitorWithPort), and checkAndHealSentinels expecting every pod as a
 * replica (check.go CheckSentinelSlavesNumberInMemory, the Bootstrapping branch).
 */
export async function motionBootstrapPassing(model: OperatorInMotion, node: BootstrapNode, sentinelsRunning: boolean): Promise<string> {
    const { password } = model.group.spec;
    const said = [await updateRedisPods(model, undefined)];
    for (const pod of model.redis) await setRedisCustomConfig(address(pod), password, operatorRedisCustomConfig(model.group.spec));
    for (const pod of model.redis) {
        await withClient({ host: address(pod).host, port: node.port }, password, (client) =>
            client.call("SLAVEOF", node.host, String(node.port)),
        );
    }
    said.push(`every redis made replica of ${node.host}:${node.port}`);
    if (!node.allowSentinels) return said.join(", ");
    if (!sentinelsRunning) return [...said, "early return: a sentinel pod is not running"].join(", ");
    return `${said.join(", ")}; ${await motionSentinelsPassing(model, node, model.group.spec.redisCount)}`;
}

/**
 * checker.go, UpdateRedisesPods: nothing while any replica is not ready (client.go SlaveIsReady:
 * link up, not syncing, not on 127.0.0.1); then the first stale replica is deleted, one per pass;
 * the master only when every replica is current. The pass goes on to the sentinels either way.
 */
async function updateRedisPods(model: OperatorInMotion, master: MotionPod | undefined): Promise<string> {
    const { password } = model.group.spec;
    // While bootstrapping there is no master of the group's own (`masterIP := ""`): every pod is checked.
    const replicas = model.redis.filter((pod) => pod !== master);
    for (const pod of replicas) {
        const info = await replication(pod, password);
        const ready =
            !info.includes("master_sync_in_progress:1") &&
            !info.includes("master_host:127.0.0.1") &&
            info.includes("master_link_status:up");
        if (!ready) return "a replica is not ready: no pod updated";
    }
    const stale = replicas.find((pod) => pod.revision !== model.revision.redis);
    if (stale) {
        void model.recreateRedis(model.redis.indexOf(stale));
        return `stale replica redis ${model.redis.indexOf(stale)} deleted`;
    }
    if (master && master.revision !== model.revision.redis) {
        void model.recreateRedis(model.redis.indexOf(master));
        return `stale master redis ${model.redis.indexOf(master)} deleted`;
    }
    return "redis current";
}

/**
 * The sentinel half: each one monitors the master (else NewSentinelMonitor), then
 * checkAndHealSentinels, which expects `replicas` replicas (the spec's redis less the master).
 */
export async function motionSentinelsPassing(
    model: OperatorInMotion,
    master: Address,
    replicas = model.group.spec.redisCount - 1,
): Promise<string> {
    const { spec } = model.group;
    const done: string[] = [];
    for (const [index, pod] of model.sentinels.entries()) {
        const named = await withClient(address(pod), undefined, (client) =>
            client.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME).catch(() => null),
        );
        const [host, port] = (named as string[] | null) ?? [];
        if (host !== master.host || Number(port) !== master.port) {
            await newSentinelMonitor(address(pod), master, operatorQuorum(spec.sentinelCount), spec.password);
            done.push(`sentinel ${index} re-monitored`);
        }
    }
    // checkAndHealSentinels: a sentinel whose INFO counts other sentinels or replicas than the spec
    // is reset (RestoreSentinel: `SENTINEL RESET *`); then every sentinel's customConfig.
    for (const [index, pod] of model.sentinels.entries()) {
        const info = await withClient(address(pod), undefined, (client) => client.info("sentinel"));
        const sentinels = Number(/sentinels=(\d+)/.exec(info)?.[1]);
        const known = Number(/slaves=(\d+)/.exec(info)?.[1]);
        if (sentinels !== spec.sentinelCount || known !== replicas) {
            await withClient(address(pod), undefined, (client) => client.call("SENTINEL", "RESET", "*"));
            done.push(`sentinel ${index} reset`);
        }
    }
    for (const pod of model.sentinels) await setSentinelCustomConfig(address(pod), operatorSentinelCustomConfig(spec));
    return done.length > 0 ? done.join(", ") : "healthy";
}
