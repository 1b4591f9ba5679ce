// A model of the operator's master Service (`masterServiceName`, facts/operator.ts) for the labs: one address that forwards
// to the pod carrying the master role label, where the label moves only when the operator's check
// loop runs. Rules, each from spotahome/redis-operator (facts/operator.ts gives the tag):
//
// - the check runs every RESYNC_SECONDS (`operator/redisfailover/factory.go`: `resync`), at a phase
//   unrelated to any failover: here a random offset within the first interval;
// - it asks every redis pod `INFO replication`; a pod that does not answer is skipped
//   (`operator/redisfailover/service/check.go`, `GetNumberMasters`: "maybe this node is not ready");
// - only when exactly one pod says it is master does the label move to it; with none or more than
//   one, the check stops before labelling (`operator/redisfailover/checker.go`, `CheckAndHeal`:
//   "more than one master, fix manually"; `check.go`, `CheckAllSlavesFromMaster` →
//   `setMasterLabelIfNecessary`);
// - connections already open keep their pod, as kube-proxy's connection tracking keeps a flow on
//   the endpoint it was given; new connections go to the labelled pod (lab/service.ts).
//
// Run inside a node of the lab of nodes it sees what that node sees: partitioned, only its own pod.
//
//   node -r ts-node/register/transpile-only lab/relabelProxy.ts '{"listen":{...},"servers":[...],"password":"..."}'

import { RESYNC_SECONDS } from "../facts/operator";
import { parseInfo, withConnection } from "../health/connection";
import { startService } from "./service";

export interface Address {
    host: string;
    port: number;
}

export interface RelabelProxyOptions {
    listen: Address;
    /** The redis pods; the first carries the label at the start. */
    servers: Address[];
    password: string;
    /** The check's period; the operator's 30 s by default. */
    intervalMs?: number;
    /** Offset of the first check; random within one period by default. */
    phaseMs?: number;
}

export interface RelabelProxy {
    /** Where it listens. */
    address(): Address;
    /** Where the label is now. */
    target(): Address;
    close(): Promise<void>;
}

/** `role` of one pod, or undefined when it does not answer within a second. */
async function roleOf(server: Address, password: string): Promise<string | undefined> {
    return withConnection(
        server,
        { password, timeoutMs: 1000 },
        async (client) => parseInfo((await client.info("replication")) as string).role,
    ).catch(() => undefined);
}

/** The pod the operator's check would label master: the only one answering `role:master`, if exactly one does. */
export async function operatorLabelTarget(servers: Address[], password: string): Promise<Address | undefined> {
    const roles = await Promise.all(servers.map((server) => roleOf(server, password)));
    const masters = servers.filter((_, index) => roles[index] === "master");
    return masters.length === 1 ? masters[0] : undefined;
}

/** Starts the proxy and its check loop. */
export async function startRelabelProxy(options: RelabelProxyOptions): Promise<RelabelProxy> {
    const intervalMs = options.intervalMs ?? RESYNC_SECONDS * 1000;
    let target = options.servers[0];
    // The master Service: its one endpoint is the pod the label is on.
    const service = await startService(options.listen, async () => [target]);
    let stopped = false;
    let timer: NodeJS.Timeout;
    const check = async () => {
        const labelled = await operatorLabelTarget(options.servers, options.password);
        if (labelled) target = labelled;
        if (!stopped) timer = setTimeout(check, intervalMs);
    };
    timer = setTimeout(check, options.phaseMs ?? Math.random() * intervalMs);
    return {
        address: () => service.address,
        target: () => target,
        close: async () => {
            stopped = true;
            clearTimeout(timer);
            await service.close();
        },
    };
}

if (require.main === module) {
    void startRelabelProxy(JSON.parse(process.argv[2]) as RelabelProxyOptions).then(() => console.log("listening"));
}
