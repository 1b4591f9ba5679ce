// A group in motion: a lab group whose pods have addresses of their own (127.77.<block>.<n>, one
// port per component, as pods share the operator's ports), published in the lab's DNS under the names
// its front finds them by, with the operator model (lab/operator/motion.ts) around it.

import * as path from "path";
import { LabDns, startDns } from "./dns";
import { LabFront, startFront, stopFront } from "./front";
import { BootstrapNode, OperatorInMotion, PodAddresses } from "./operator/motion";
import { LabService, startService } from "./service";
import { freePort, GroupSpec, startGroup, stopGroup } from "./redisLab";

export interface MotionLab {
    model: OperatorInMotion;
    front: LabFront;
    dns: LabDns;
    /** The Sentinel Service, which the redis pods' preStop hook asks. */
    sentinelService: LabService;
}

/** Starts the group, its DNS records, the operator model (not yet running its loop) and a DNS-reading front. */
export async function startMotionLab(
    spec: GroupSpec,
    root: string,
    options: {
        block: number;
        passIntervalMs?: number;
        shutdownWaitSeconds?: number;
        log?: (line: string) => void;
        /** The pods' redis port (a free one when absent): a Redis moved in listens on the same (config/schema/bootstrap.ts). */
        redisPort?: number;
        /** The RedisFailover's `spec.bootstrapNode`: the pods start from their templates, then follow it. */
        bootstrapNode?: BootstrapNode;
    },
): Promise<MotionLab> {
    const dns = await startDns();
    const addresses = new PodAddresses(options.block);
    const [redisPort, sentinelPort] = [options.redisPort ?? (await freePort()), await freePort()];
    const group = await startGroup(
        {
            ...spec,
            ports: { redis: Array(spec.redisCount).fill(redisPort), sentinels: Array(spec.sentinelCount).fill(sentinelPort) },
        },
        root,
        { place: () => ({ host: addresses.take() }), operatorFirstPass: options.bootstrapNode === undefined },
    ).catch(async (error) => {
        await dns.close();
        throw error;
    });
    const names = { redis: `${spec.name}-redis.lab`, sentinel: `${spec.name}-sentinel.lab` };
    // The Service's own address: the last of the block, which pods never get.
    const serviceAddress = { host: `127.77.${options.block}.254`, port: sentinelPort };
    const model = new OperatorInMotion(group, { dns, names, addresses, sentinelService: serviceAddress, ...options });
    let sentinelService: LabService | undefined;
    try {
        sentinelService = await startService(serviceAddress, () => model.readySentinels());
        const front = await startFront(group, {
            dir: path.join(group.dir, "front"),
            dns: { server: dns, redisName: names.redis, sentinelName: names.sentinel },
            forwarding: options.bootstrapNode === undefined,
        });
        return { model, front, dns, sentinelService };
    } catch (error) {
        await sentinelService?.close();
        await stopGroup(group);
        await dns.close();
        throw error;
    }
}

export async function stopMotionLab(lab: MotionLab): Promise<void> {
    await lab.model.stop();
    stopFront(lab.front);
    await lab.sentinelService.close();
    await stopGroup(lab.model.group);
    await lab.dns.close();
}
