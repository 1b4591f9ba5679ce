// The `front-serves-master` rule alone: what connections through the fronts reached and the
// servers' own views in, a check result out; no server.

import * as assert from "assert";
import { REDIS_PORT } from "../../facts/operator";
import { CHECK_NAMES, FRONT_CHECK_NAMES } from "../../health/report";
import { Endpoint } from "../../health/connection";
import { FrontView } from "../../health/probes";
import { frontErrorMeaning, frontServesMaster, shortRunId } from "../../health/front";
import type { RedisView } from "../../health/probes";
import { notChecked, serverCheckNames } from "../../health/report";

const MASTER: Endpoint = { host: "10.0.0.1", port: REDIS_PORT };
const REPLICA: Endpoint = { host: "10.0.0.2", port: REDIS_PORT };
const MASTER_RUN_ID = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678";
const REPLICA_RUN_ID = "ffeeddccbbaa99887766554433221100ffeeddcc";
const AGREED = `${MASTER.host}:${MASTER.port}`;
const SERVERS: RedisView[] = [
    { address: MASTER, replication: { role: "master" }, runId: MASTER_RUN_ID },
    { address: REPLICA, replication: { role: "slave" }, runId: REPLICA_RUN_ID },
];
const FRONT = "127.0.0.1:7000";

const reached = (change: Partial<FrontView> = {}, name = FRONT): FrontView => ({ name, role: "master", runId: MASTER_RUN_ID, ...change });

describe("health: front-serves-master", () => {
    it("holds when every front reaches the master the sentinels agree on", () => {
        const one = frontServesMaster([reached()], AGREED, SERVERS);
        assert.deepStrictEqual(one, {
            name: "front-serves-master",
            ok: true,
            detail: `${FRONT} reaches the master ${AGREED} (run_id a1b2c3d4…)`,
        });
        const two = frontServesMaster([reached(), reached({}, "front-pod-1")], AGREED, SERVERS);
        assert.strictEqual(two.ok, true);
        assert.match(two.detail, /^127\.0\.0\.1:7000, front-pod-1 reach the master /);
    });

    it("names a front that reached a replica, or another group's master", () => {
        const replica = frontServesMaster([reached({ role: "slave", runId: REPLICA_RUN_ID })], AGREED, SERVERS);
        assert.deepStrictEqual([replica.ok, replica.detail], [false, `${FRONT} reached a replica (run_id ffeeddcc…)`]);
        const stranger = frontServesMaster([reached({ runId: "0123456789abcdef0123456789abcdef01234567" })], AGREED, SERVERS);
        assert.deepStrictEqual(
            [stranger.ok, stranger.detail],
            [false, `${FRONT} reached run_id 01234567… not the master's (${AGREED}, run_id a1b2c3d4…)`],
        );
        const odd = frontServesMaster([reached({ role: "sentinel" })], AGREED, SERVERS);
        assert.deepStrictEqual([odd.ok, odd.detail], [false, `${FRONT} reached a server of role sentinel`]);
    });

    it("fails when any front does, naming only the ones that do", () => {
        const mixed = frontServesMaster([reached({}, "good:1"), reached({ role: "slave" }, "bad:2")], AGREED, SERVERS);
        assert.strictEqual(mixed.ok, false);
        assert.match(mixed.detail, /^bad:2 reached a replica/);
        assert.doesNotMatch(mixed.detail, /good:1/);
    });

    it("says what a front that gives no answer means", () => {
        const cases: Array<[string, RegExp]> = [
            ["connect ECONNREFUSED 127.0.0.1:7000", /^refused: no front listens there \(connect ECONNREFUSED/],
            ["Connection is closed.", /^closed: the front serves nothing \(its gate hears no sentinel majority\?\)/],
            ["read ECONNRESET", /^closed: the front serves nothing/],
            ["WRONGPASS invalid username-password pair", /^authentication failed \(WRONGPASS/],
            ["Command timed out", /^gave no answer: the front, or the server behind it, hangs \(Command timed out\)$/],
            ["127.0.0.1:7000: no answer within 1500 ms", /^gave no answer: .*\(127\.0\.0\.1:7000: no answer within 1500 ms\)$/],
            ["getaddrinfo ENOTFOUND front.example", /^getaddrinfo ENOTFOUND front\.example$/],
        ];
        for (const [error, meaning] of cases) {
            assert.match(frontErrorMeaning(error), meaning, error);
        }
        const closed = frontServesMaster([{ name: FRONT, error: "Connection is closed." }], AGREED, SERVERS);
        assert.deepStrictEqual([closed.ok, closed.detail.startsWith(`${FRONT} closed: the front serves nothing`)], [false, true]);
    });

    it("fails without a master to compare with, or without a front", () => {
        const disagree = frontServesMaster([reached()], undefined, SERVERS);
        assert.deepStrictEqual(
            [disagree.ok, disagree.detail],
            [false, `not compared: the sentinels agree on no master; ${FRONT} reached run_id a1b2c3d4…`],
        );
        const silent = frontServesMaster([{ name: FRONT, error: "connect ECONNREFUSED" }], AGREED, SERVERS.slice(1));
        assert.strictEqual(silent.ok, false);
        assert.match(silent.detail, new RegExp(`^not compared: the master ${AGREED} did not tell its run_id; ${FRONT} refused: `));
        assert.deepStrictEqual(frontServesMaster([], AGREED, SERVERS), {
            name: "front-serves-master",
            ok: false,
            detail: "no front to connect to",
        });
        assert.strictEqual(shortRunId(undefined), "unknown");
    });

    it("is reported after the other checks only when there are fronts", () => {
        assert.deepStrictEqual(serverCheckNames(false), CHECK_NAMES);
        assert.deepStrictEqual(serverCheckNames(true), [...CHECK_NAMES, ...FRONT_CHECK_NAMES]);
        const stopped = notChecked([], "no sentinel answers", serverCheckNames(true));
        assert.deepStrictEqual(stopped.at(-1), {
            name: "front-serves-master",
            ok: false,
            detail: "not checked: no sentinel answers",
        });
        assert.strictEqual(notChecked([], "no sentinel answers").length, CHECK_NAMES.length);
    });
});
