import * as assert from "assert";
import { formatBytes, isK8sCpuQuantity, parseK8sMemoryBytes, parseRedisBytes } from "../../config/units";

describe("config: units", () => {
    it("reads Redis sizes with Redis's own units (k = 1000, kb = 1024)", () => {
        assert.strictEqual(parseRedisBytes("256mb"), 256 * 1024 ** 2);
        assert.strictEqual(parseRedisBytes("1GB"), 1024 ** 3);
        assert.strictEqual(parseRedisBytes("1k"), 1000);
        assert.strictEqual(parseRedisBytes("1kb"), 1024);
        assert.strictEqual(parseRedisBytes("4096"), 4096);
        assert.strictEqual(parseRedisBytes("1.5gb"), undefined);
        assert.strictEqual(parseRedisBytes("256mib"), undefined);
        assert.strictEqual(parseRedisBytes(""), undefined);
    });

    it("reads Kubernetes memory quantities", () => {
        assert.strictEqual(parseK8sMemoryBytes("512Mi"), 512 * 1024 ** 2);
        assert.strictEqual(parseK8sMemoryBytes("1Gi"), 1024 ** 3);
        assert.strictEqual(parseK8sMemoryBytes("1G"), 1e9);
        assert.strictEqual(parseK8sMemoryBytes("128974848"), 128974848);
        assert.strictEqual(parseK8sMemoryBytes("129e6"), 129e6);
        assert.strictEqual(parseK8sMemoryBytes("1.5Gi"), 1.5 * 1024 ** 3);
        assert.strictEqual(parseK8sMemoryBytes("512mb"), undefined);
        assert.strictEqual(parseK8sMemoryBytes("Mi"), undefined);
    });

    it("recognises CPU quantities", () => {
        for (const ok of ["300m", "1", "0.5"]) assert.ok(isK8sCpuQuantity(ok), ok);
        for (const bad of ["300 m", "1core", "m"]) assert.ok(!isK8sCpuQuantity(bad), bad);
    });

    it("formats bytes for messages", () => {
        assert.strictEqual(formatBytes(384 * 1024 ** 2), "384Mi");
        assert.strictEqual(formatBytes(1.5 * 1024 ** 3), "1.5Gi");
        assert.strictEqual(formatBytes(10), "10B");
    });
});
