import * as assert from "assert";
import { parseStackConfigOrThrow } from "../../config/parse";
import { assertAccepted, assertRejected, INSTANCES } from "../support/config";
import { stackConfig, withSetting } from "../support/stacks";

describe("config: instances.<p>.bootstrapFrom", () => {
    const prod = stackConfig("prod");
    const key = `${INSTANCES}.auth.bootstrapFrom`;

    it("takes a host (address or DNS name) and defaults the port to the pods' 6379", () => {
        for (const host of ["10.0.1.50", "redis-old.internal.example.com"]) {
            const config = withSetting(prod, INSTANCES, ["auth", "bootstrapFrom"], { host });
            assertAccepted(config);
            const auth = parseStackConfigOrThrow(config).instances.find((instance) => instance.purpose === "auth")!;
            assert.deepStrictEqual(auth.bootstrapFrom, { host, port: 6379 });
        }
    });

    it("refuses another port, saying the operator dials its own pods on it", () => {
        const config = withSetting(prod, INSTANCES, ["auth", "bootstrapFrom"], { host: "10.0.1.50", port: 6380 });
        assertRejected(config, `${key}.port`, /must be 6379, got 6380: the operator connects to its own pods on the bootstrap port/);
        assertAccepted(withSetting(prod, INSTANCES, ["auth", "bootstrapFrom"], { host: "10.0.1.50", port: 6379 }));
    });

    it("refuses a missing or malformed host, and unknown keys such as a password", () => {
        assertRejected(withSetting(prod, INSTANCES, ["auth", "bootstrapFrom"], {}), `${key}.host`, /is required: the address/);
        assertRejected(withSetting(prod, INSTANCES, ["auth", "bootstrapFrom"], { host: "10.0.1.500" }), `${key}.host`, /not an IPv4/);
        assertRejected(withSetting(prod, INSTANCES, ["auth", "bootstrapFrom"], { host: "Bad_Host" }), `${key}.host`, /Bad_Host/);
        assertRejected(
            withSetting(prod, INSTANCES, ["auth", "bootstrapFrom"], { host: "10.0.1.50", passwordSecret: "old" }),
            `${key}.passwordSecret`,
            /unknown setting/,
        );
    });
});
