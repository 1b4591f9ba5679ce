import * as assert from "assert";
import { SENTINEL_PORT } from "../../facts/operator";
import { parseEndpoint, withDeadline } from "../../health/connection";
import { pairs, parseInfo } from "../../health/connection";

describe("health: connection helpers", () => {
    it("parses host:port, the last colon separating the port", () => {
        assert.deepStrictEqual(parseEndpoint(`10.0.0.1:${SENTINEL_PORT}`), { host: "10.0.0.1", port: SENTINEL_PORT });
        assert.deepStrictEqual(parseEndpoint("::1:7000"), { host: "::1", port: 7000 });
        for (const bad of ["no-port", ":7000", "host:0", "host:70000", "host:x"]) {
            assert.throws(() => parseEndpoint(bad), /not host:port/, bad);
        }
    });

    it("reads Sentinel's flat replies and INFO text", () => {
        assert.deepStrictEqual(pairs(["ip", "10.0.0.1", "flags", "slave", "dangling"]), { ip: "10.0.0.1", flags: "slave" });
        assert.deepStrictEqual(pairs(null), {});
        assert.deepStrictEqual(parseInfo("# Replication\r\nrole:master\r\nslave0:ip=10.0.0.2,port=1,state=online\r\n"), {
            role: "master",
            slave0: "ip=10.0.0.2,port=1,state=online",
        });
    });

    it("rejects when the deadline passes first, and not otherwise", async () => {
        assert.strictEqual(await withDeadline(Promise.resolve(7), 50, "quick"), 7);
        await assert.rejects(withDeadline(new Promise(() => undefined), 20, "10.0.0.1:1"), /10\.0\.0\.1:1: no answer within 20 ms/);
    });
});
