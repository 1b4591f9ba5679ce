import * as assert from "assert";
import { formatBytes } from "../../config/schema/instances";

describe("config/schema/instances: sizes in messages", () => {
    it("formats bytes in the largest binary unit that keeps them readable", () => {
        assert.strictEqual(formatBytes(384 * 1024 ** 2), "384Mi");
        assert.strictEqual(formatBytes(1.5 * 1024 ** 3), "1.5Gi");
        assert.strictEqual(formatBytes(2048), "2Ki");
        assert.strictEqual(formatBytes(10), "10B");
    });
});
