// The `membership` rule alone: sentinel views and a membership in, a check result out; no server.

import * as assert from "assert";
import { MASTER_NAME, REDIS_PORT, SENTINEL_PORT } from "../../facts/operator";
import { CHECK_NAMES } from "../../health/report";
import { Endpoint } from "../../health/connection";
import { Member, Membership, MEMBERSHIP_NOT_APPLICABLE, membershipCheck } from "../../health/membership";
import type { SentinelView } from "../../health/probes";
import { judgeSentinels } from "../../health/rules";

const REDIS: Endpoint[] = ["10.0.0.1", "10.0.0.2", "10.0.0.3"].map((host) => ({ host, port: REDIS_PORT }));
const SENTINEL_ADDRESSES: Endpoint[] = ["10.0.1.1", "10.0.1.2", "10.0.1.3"].map((host) => ({ host, port: SENTINEL_PORT }));
const entry = (e: Endpoint, flags: string) => ({ ip: e.host, port: String(e.port), flags, "master-link-status": "ok" });

/** Sentinel `index` (0-2) of a healthy 3 + 3 group, asked at `endpoint` (its pod address unless forwarded). */
function sentinel(index: number, change: Partial<SentinelView> = {}, endpoint = SENTINEL_ADDRESSES[index]): SentinelView {
    return {
        endpoint,
        masterAddress: REDIS[0],
        master: { flags: "master" },
        quorum: "OK 3 usable Sentinels",
        replicas: REDIS.slice(1).map((r) => entry(r, "slave")),
        sentinels: SENTINEL_ADDRESSES.filter((_, i) => i !== index).map((s) => entry(s, "sentinel")),
        ...change,
    };
}

const PODS: Membership = {
    of: "a pod of auth-redis",
    members: [
        ...REDIS.map((address): Member => ({ address, component: "redis" })),
        ...SENTINEL_ADDRESSES.map((address): Member => ({ address, component: "sentinel" })),
    ],
};
const VIEWS = [0, 1, 2].map((i) => sentinel(i));
const FOREIGN_REDIS = { host: "10.0.9.9", port: REDIS_PORT };
const FOREIGN_SENTINEL = { host: "10.0.9.8", port: SENTINEL_PORT };

describe("health: membership rule", () => {
    it("holds when every master, replica and sentinel address is a member", () => {
        const check = membershipCheck(VIEWS, PODS);
        assert.deepStrictEqual(check, {
            name: "membership",
            ok: true,
            detail: "every address 3 sentinels know (15: master, replicas, other sentinels) is a pod of auth-redis",
        });
    });

    it("does not apply (ok) when no membership is known", () => {
        assert.deepStrictEqual(membershipCheck(VIEWS, undefined), { name: "membership", ok: true, detail: MEMBERSHIP_NOT_APPLICABLE });
        assert.match(MEMBERSHIP_NOT_APPLICABLE, /^not applicable: /);
    });

    it("names the sentinel and a foreign replica, master or sentinel", () => {
        const views = [
            sentinel(0, { replicas: [entry(REDIS[1], "slave"), entry(FOREIGN_REDIS, "slave")] }),
            sentinel(1, { masterAddress: FOREIGN_REDIS }),
            sentinel(2, { sentinels: [entry(SENTINEL_ADDRESSES[0], "sentinel"), entry(FOREIGN_SENTINEL, "sentinel")] }),
        ];
        const check = membershipCheck(views, PODS);
        assert.strictEqual(check.ok, false);
        assert.deepStrictEqual(check.detail.split("; "), [
            `sentinel 10.0.1.1:${SENTINEL_PORT} knows replica 10.0.9.9:${REDIS_PORT}, which is not a pod of auth-redis`,
            `sentinel 10.0.1.2:${SENTINEL_PORT} knows master 10.0.9.9:${REDIS_PORT}, which is not a pod of auth-redis`,
            `sentinel 10.0.1.3:${SENTINEL_PORT} knows sentinel 10.0.9.8:${SENTINEL_PORT}, which is not a pod of auth-redis`,
        ]);
    });

    it("says when the sentinel holds a foreign address down (a memory rather than a live server)", () => {
        const check = membershipCheck([sentinel(0, { replicas: [entry(FOREIGN_REDIS, "slave,s_down,disconnected")] })], PODS);
        assert.strictEqual(
            check.detail,
            `sentinel 10.0.1.1:${SENTINEL_PORT} knows replica 10.0.9.9:${REDIS_PORT}, which is not a pod of auth-redis (flagged slave,s_down,disconnected)`,
        );
    });

    it("holds an address to its component: a redis address is no sentinel", () => {
        // A sentinel pod's IP with the redis port: not a member, though the IP is.
        const odd = { host: SENTINEL_ADDRESSES[2].host, port: REDIS_PORT };
        const check = membershipCheck([sentinel(0, { replicas: [entry(odd, "slave")] })], PODS);
        assert.match(check.detail, new RegExp(`knows replica 10.0.1.3:${REDIS_PORT}, which is not a pod of auth-redis$`));
        // A list of addresses (verify --members) has no components: any member address will do.
        const list: Membership = { of: "among the members given", members: PODS.members.map(({ address }) => ({ address })) };
        assert.strictEqual(membershipCheck(VIEWS, list).ok, true);
    });

    it("names a forwarded sentinel by its pod address, not the local port it was reached at", () => {
        const local = { host: "127.0.0.1", port: 40001 };
        const forwarded: Membership = {
            ...PODS,
            members: PODS.members.map((m) => (m.address === SENTINEL_ADDRESSES[0] ? { ...m, local } : m)),
        };
        const check = membershipCheck([sentinel(0, { masterAddress: FOREIGN_REDIS }, local)], forwarded);
        assert.match(check.detail, new RegExp(`^sentinel 10.0.1.1:${SENTINEL_PORT} knows master 10.0.9.9:${REDIS_PORT}`));
    });

    it("runs after replica-count among the sentinel checks", () => {
        const judged = judgeSentinels(
            VIEWS,
            { masterName: MASTER_NAME, maxmemoryPolicy: "noeviction", redisCount: 3, sentinelCount: 3 },
            PODS,
        );
        assert.deepStrictEqual(
            judged.checks.map((c) => c.name),
            CHECK_NAMES.slice(0, 8),
        );
        assert.strictEqual(judged.checks[7].name, "membership");
        assert.ok(judged.checks.every((c) => c.ok));
    });
});
