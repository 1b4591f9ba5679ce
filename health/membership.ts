// Who belongs to the group, and the `membership` check: every address a sentinel knows (its
// master, its replicas, the other sentinels) is one of the group's own. Pure, no I/O.
//
// Why: Sentinel remembers every replica and peer it ever saw, by address, and the operator resets a
// sentinel only when the numbers it remembers differ from the spec (spotahome/redis-operator
// `operator/redisfailover/checker.go`: CheckSentinelNumberInMemory, CheckSentinelSlavesNumberInMemory,
// then RestoreSentinel, a SENTINEL RESET). When a pod IP is reused by a pod of another group, the
// numbers stay right and the sentinel adopts the other group's server or sentinel: sentinels of
// different RedisFailovers joining together, data lost to a replica re-pointed at the wrong master
// (spotahome/redis-operator#550), sentinels naming a master of another RedisFailover (#297).

import type { FailoverComponent } from "../facts/operator";
import { Endpoint, formatEndpoint as label } from "./connection";
import type { SentinelView } from "./probes";
import type { CheckResult } from "./report";

/** One member of the group: a pod (or a lab server) at the address Sentinel reports for it. */
export interface Member {
    /** Its address as the sentinels report it (pod IP and container port). */
    address: Endpoint;
    /** `redis` or `sentinel`; either when absent (a list of addresses). */
    component?: FailoverComponent;
    /** Where this process reaches it (a forwarded local port), when not at `address`. */
    local?: Endpoint;
}

/** Every member of the group, for the `membership` check. */
export interface Membership {
    /** What a member is, completing "which is not ...": `a pod of auth-redis`. */
    of: string;
    /** The members. */
    members: Member[];
}

/** The `detail` of a `membership` check that does not apply (ok: there is nothing to hold it against). */
export const MEMBERSHIP_NOT_APPLICABLE = "not applicable: no membership known (direct sentinel addresses without --members)";

const same = (a: Endpoint, b: Endpoint) => a.host === b.host && a.port === b.port;

/** One address a sentinel knows, and what it knows it as. */
interface Known {
    kind: "master" | "replica" | "sentinel";
    address: Endpoint;
    flags?: string;
}

function knownBy(view: SentinelView): Known[] {
    const entry = (kind: Known["kind"]) => (fields: Record<string, string>) => ({
        kind,
        address: { host: fields.ip, port: Number(fields.port) },
        flags: fields.flags,
    });
    return [
        ...(view.masterAddress ? [{ kind: "master" as const, address: view.masterAddress, flags: view.master?.flags }] : []),
        ...(view.replicas ?? []).map(entry("replica")),
        ...(view.sentinels ?? []).map(entry("sentinel")),
    ];
}

/** ` (flagged s_down,disconnected)` when the sentinel holds the address down: a memory more than a live server. */
function down(flags: string | undefined): string {
    return /(^|,)(s_down|o_down|disconnected)(,|$)/.test(flags ?? "") ? ` (flagged ${flags})` : "";
}

/**
 * Every address each knowing sentinel knows (its master, replicas and other sentinels) is a member
 * of the group, of the right component when the membership says. Not applicable (ok) when no
 * membership is known. Sentinels are named by their member address (a pod IP), not by the local
 * port this process reached them at.
 */
export function membershipCheck(knowing: SentinelView[], membership: Membership | undefined): CheckResult {
    if (!membership) {
        return { name: "membership", ok: true, detail: MEMBERSHIP_NOT_APPLICABLE };
    }
    const isMember = (known: Known) =>
        membership.members.some(
            (m) => same(m.address, known.address) && (!m.component || m.component === (known.kind === "sentinel" ? "sentinel" : "redis")),
        );
    const nameOf = (view: SentinelView) =>
        label(membership.members.find((m) => same(m.local ?? m.address, view.endpoint))?.address ?? view.endpoint);
    const problems: string[] = [];
    let addresses = 0;
    for (const view of knowing) {
        const known = knownBy(view);
        addresses += known.length;
        for (const foreign of known.filter((k) => !isMember(k))) {
            problems.push(
                `sentinel ${nameOf(view)} knows ${foreign.kind} ${label(foreign.address)}, which is not ${membership.of}${down(foreign.flags)}`,
            );
        }
    }
    return {
        name: "membership",
        ok: problems.length === 0,
        detail: problems.length
            ? problems.join("; ")
            : `every address ${knowing.length} ${knowing.length === 1 ? "sentinel knows" : "sentinels know"} (${addresses}: master, replicas, other sentinels) is ${membership.of}`,
    };
}
