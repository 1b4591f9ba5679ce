import * as assert from "assert";
import { caughtUp, followerState, keysPerDb, sentinelsInQuorum, sourceState } from "../../health/migration";

const replica = (replid: string, offset: number, extra = "master_link_status:up\r\nmaster_sync_in_progress:0") =>
    `# Replication\r\nrole:slave\r\n${extra}\r\nslave_repl_offset:${offset}\r\nmaster_replid:${replid}\r\n`;

describe("health/migration: whether the group caught up with the source", () => {
    const source = sourceState(
        "role:master\r\nmaster_replid:abc\r\nmaster_repl_offset:5000\r\n",
        "db0:keys=90,expires=1\r\ndb3:keys=10,expires=10\r\n",
    );

    it("reads keys per database", () => {
        assert.deepStrictEqual(
            [...keysPerDb("# Keyspace\r\ndb0:keys=3,expires=0,avg_ttl=0\r\ndb6:keys=2,expires=1\r\n")],
            [
                [0, 3],
                [6, 2],
            ],
        );
    });

    it("is caught up only when every pod follows the source, link up, out of sync, at or past its offset", () => {
        const pods = (offsets: number[]) =>
            offsets.map((offset, i) => followerState(`pod-${i}`, replica("abc", offset), "db0:keys=90\r\n"));
        assert.strictEqual(caughtUp(source, pods([5000, 5100])).ok, true);
        const behind = caughtUp(source, pods([5000, 4990]));
        assert.strictEqual(behind.ok, false);
        assert.match(behind.lines[1], /pod-1: is 10 bytes behind \(offset 4990 of 5000; keys 90 of 100\)/);
        const cases: Array<[string, RegExp]> = [
            [replica("other", 9000), /does not follow the source yet/],
            [replica("abc", 9000, "master_link_status:down\r\nmaster_sync_in_progress:0"), /link to the source down/],
            [replica("abc", 9000, "master_link_status:down\r\nmaster_sync_in_progress:1"), /full sync/],
            ["role:master\r\nmaster_replid:abc\r\n", /is a master, not a replica/],
        ];
        for (const [info, why] of cases) {
            const judged = caughtUp(source, [followerState("pod", info, "")]);
            assert.strictEqual(judged.ok, false);
            assert.match(judged.lines[0], why);
        }
        assert.strictEqual(caughtUp(source, []).ok, false, "no pod is not caught up");
    });

    it("wants every sentinel in quorum", () => {
        assert.strictEqual(
            sentinelsInQuorum([{ name: "a", reply: "OK 3 usable Sentinels. Quorum and failover authorization can be reached" }]).ok,
            true,
        );
        const short = sentinelsInQuorum([
            { name: "a", reply: "OK 3 usable Sentinels." },
            { name: "b", reply: "NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the specified quorum" },
        ]);
        assert.strictEqual(short.ok, false);
        assert.match(short.lines[1], /sentinel b: NOQUORUM/);
    });
});
