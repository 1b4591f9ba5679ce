import * as assert from "assert";
import * as fs from "fs";
import { ScriptSandbox } from "../support/scriptSandbox";

describe("scripts: reset-node.sh", () => {
    it("resets kubeadm state and the CNI config", () => {
        const node = new ScriptSandbox().stub("kubeadm");
        try {
            node.file("etc/cni/net.d/10-calico.conflist", "{}");
            const run = node.run("reset-node.sh", { ETC_DIR: node.file("etc") });
            assert.strictEqual(run.code, 0, run.stderr);
            assert.deepStrictEqual(run.calls, ["kubeadm reset -f"]);
            assert.ok(!fs.existsSync(node.file("etc/cni/net.d")));
        } finally {
            node.dispose();
        }
    });

    it("does nothing on a machine without kubeadm", () => {
        const node = new ScriptSandbox();
        try {
            const run = node.run("reset-node.sh", { ETC_DIR: node.file("etc") });
            assert.strictEqual(run.code, 0, run.stderr);
            assert.match(run.stdout, /nothing to reset/);
        } finally {
            node.dispose();
        }
    });
});
