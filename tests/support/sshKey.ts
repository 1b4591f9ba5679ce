// Private keys made by the real `ssh-keygen`, as a user makes them for the stack.

import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** A new private key of `type`, as `ssh-keygen` writes its file (no passphrase, no comment). */
export function newPrivateKey(type: "ed25519" | "rsa"): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "redis-ha-key-"));
    try {
        const made = spawnSync("ssh-keygen", ["-q", "-t", type, "-N", "", "-C", "", "-f", path.join(dir, "key")], { encoding: "utf8" });
        assert.strictEqual(made.status, 0, made.stderr);
        return fs.readFileSync(path.join(dir, "key"), "utf8");
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
