import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import { makeClusterCa } from "../support/fakeCluster";
import { ScriptSandbox } from "../support/scriptSandbox";

const TOKEN = "abcdef.0123456789abcdef";

describe("scripts: create-join-token.sh", () => {
    it("prints the new token and the sha256 of the cluster CA's public key", function () {
        this.timeout(20_000);
        const controlPlane = new ScriptSandbox().stub("kubeadm", `echo ${TOKEN}`);
        try {
            const pki = controlPlane.file("kubernetes/pki/ca.crt");
            makeClusterCa(pki);
            const expected = crypto
                .createHash("sha256")
                .update(new crypto.X509Certificate(fs.readFileSync(pki)).publicKey.export({ type: "spki", format: "der" }))
                .digest("hex");
            const run = controlPlane.run("create-join-token.sh", { KUBERNETES_DIR: controlPlane.file("kubernetes"), TOKEN_TTL: "10m" });
            assert.strictEqual(run.code, 0, run.stderr);
            assert.strictEqual(run.stdout, `${TOKEN} sha256:${expected}\n`);
            assert.deepStrictEqual(run.calls, ["kubeadm token create --ttl 10m --description redis-ha node join"]);
        } finally {
            controlPlane.dispose();
        }
    });
});
