import * as assert from "assert";
import { controlPlane } from "../support/controlPlane";

describe("scripts: label-node.sh", () => {
    const env = { NODE_NAME: "k8s-redis-auth", NODE_LABEL: "redis-cluster=auth", NODE_TAINT: "dedicated=redis-auth:NoSchedule" };

    it("reconciles label and taint with --overwrite, then returns once the node is Ready", () => {
        const cp = controlPlane();
        try {
            cp.file("state/node", "10.0.2.15");
            const run = cp.run("label-node.sh", env);
            assert.strictEqual(run.code, 0, run.stderr);
            assert.deepStrictEqual(
                run.calls.filter((call) => /^kubectl (label|taint)/.test(call)),
                [
                    "kubectl label node k8s-redis-auth redis-cluster=auth --overwrite",
                    "kubectl taint node k8s-redis-auth dedicated=redis-auth:NoSchedule --overwrite",
                ],
            );
            assert.match(run.stdout, /k8s-redis-auth is Ready/);
            assert.deepStrictEqual(cp.run("label-node.sh", env).calls, run.calls, "a second run does the same, harmlessly");
        } finally {
            cp.dispose();
        }
    });

    it("gives up after its timeout, naming the node and what it last saw, with progress on the way", () => {
        const cp = controlPlane({ ready: "False" });
        try {
            cp.file("state/node", "10.0.2.15");
            const run = cp.run("label-node.sh", { ...env, NODE_TAINT: "", READY_TIMEOUT_SECONDS: "1", POLL_SECONDS: "0.3" });
            assert.strictEqual(run.code, 1);
            assert.match(
                run.stderr,
                /node k8s-redis-auth is not Ready after 1s; last seen: Ready=False KubeletNotReady: container runtime network not ready/,
            );
            assert.match(run.stdout, /waiting for k8s-redis-auth to be Ready/);
            assert.ok(!run.calls.some((c) => c.startsWith("kubectl taint")), "no taint when none is configured");
        } finally {
            cp.dispose();
        }
    });

    it("stops at the first failing call when the node cannot be read or labelled", () => {
        const cp = controlPlane();
        try {
            const run = cp.run("label-node.sh", { ...env, READY_TIMEOUT_SECONDS: "1" });
            assert.ok(
                !run.calls.some((call) => /^kubectl (taint|annotate)/.test(call)),
                `stopped at the first failure: ${run.calls.join("; ")}`,
            );
            assert.notStrictEqual(run.code, 0);
        } finally {
            cp.dispose();
        }
    });
});
