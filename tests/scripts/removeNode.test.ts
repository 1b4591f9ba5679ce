import * as assert from "assert";
import { controlPlane } from "../support/controlPlane";

describe("scripts: remove-node.sh", () => {
    const env = { NODE_NAME: "k8s-redis-auth", NODE_IP: "10.0.2.15", DRAIN_TIMEOUT_SECONDS: "30" };

    it("drains the node, then deletes it", () => {
        const cp = controlPlane();
        try {
            cp.file("state/node", "10.0.2.15");
            const run = cp.run("remove-node.sh", env);
            assert.strictEqual(run.code, 0, run.stderr);
            const drain = run.calls.findIndex((c) =>
                c.startsWith("kubectl drain k8s-redis-auth --ignore-daemonsets --delete-emptydir-data --timeout=30s"),
            );
            const remove = run.calls.indexOf("kubectl delete node k8s-redis-auth --ignore-not-found");
            assert.ok(drain >= 0 && remove > drain, run.calls.join("\n"));
        } finally {
            cp.dispose();
        }
    });

    it("deletes the node anyway when a disruption budget holds the drain past its timeout", () => {
        const cp = controlPlane({ drainFails: true });
        try {
            cp.file("state/node", "10.0.2.15");
            const run = cp.run("remove-node.sh", env);
            assert.strictEqual(run.code, 0, run.stderr);
            assert.match(run.stdout, /did not finish in 30s .* deleting k8s-redis-auth anyway/);
            assert.ok(run.calls.includes("kubectl delete node k8s-redis-auth --ignore-not-found"));
        } finally {
            cp.dispose();
        }
    });

    it("leaves alone a node that is not registered, or that now belongs to a replacement", () => {
        const cp = controlPlane();
        try {
            let run = cp.run("remove-node.sh", env);
            assert.strictEqual(run.code, 0, run.stderr);
            assert.ok(!run.calls.some((c) => /drain|delete/.test(c)));
            cp.file("state/node", "10.0.2.99");
            run = cp.run("remove-node.sh", env);
            assert.strictEqual(run.code, 0, run.stderr);
            assert.match(run.stdout, /not this instance's node; keeping it/);
            assert.ok(!run.calls.some((c) => /drain|delete/.test(c)));
        } finally {
            cp.dispose();
        }
    });

    it("fails when the delete fails", () => {
        const cp = controlPlane({ deleteFails: true });
        try {
            cp.file("state/node", "10.0.2.15");
            const run = cp.run("remove-node.sh", env);
            assert.notStrictEqual(run.code, 0);
            assert.ok(!run.stdout.includes("removed"));
        } finally {
            cp.dispose();
        }
    });
});
