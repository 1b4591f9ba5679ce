// Full tier: the lab of nodes (network namespaces on a bridge of this machine) and the short form
// of the node drills (one trial per case, short Sentinel timings): they complete and report sane
// figures. Skipped, saying why, where network namespaces cannot be made.

import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { nodeDrillTrial, NodeDrillOptions } from "../../bench/nodeDrill";
import { checkOnce } from "../../health/wait";
import { namespacesUnavailable } from "../../lab/netns";
import { antiAffinity, loseNode, nodeOf, NodeLab, partitionNode, healNode, startNodeLab, stopNodeLab } from "../../lab/nodes";
import { labExpectations, labTarget, whenGone } from "../../lab/redisLab";
import { quickSpec } from "../support/health";

function leftovers(): string {
    const netns = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout ?? "";
    const links = spawnSync("ip", ["-o", "link", "show"], { encoding: "utf8" }).stdout ?? "";
    return [...netns.split("\n"), ...links.split("\n")]
        .filter((line) => [`rh-${process.pid}-`, `rhb${process.pid}`, `rhv${process.pid}n`].some((name) => line.includes(name)))
        .join("\n");
}

function pingFrom(netns: string, host: string, port: number, password: string): string {
    const result = spawnSync(
        "ip",
        ["netns", "exec", netns, "redis-cli", "-h", host, "-p", String(port), "--no-auth-warning", "-a", password, "PING"],
        {
            encoding: "utf8",
            timeout: 3000,
        },
    );
    return (result.stdout ?? "").trim();
}

describe("full: the lab of nodes", function () {
    this.timeout(300_000);
    const unavailable = namespacesUnavailable();
    let root: string;
    before(function () {
        if (unavailable) {
            console.log(`      skipped: ${unavailable}`);
            this.skip();
        }
        root = fs.mkdtempSync(path.join(os.tmpdir(), "redis-ha-nodes-"));
    });
    after(() => {
        if (root) fs.rmSync(root, { recursive: true, force: true });
        assert.strictEqual(leftovers(), "", "namespaces and bridge removed");
    });

    it("places by anti-affinity and refuses two of a kind on one node", () => {
        assert.deepStrictEqual(antiAffinity(3, 3, 3), { redis: [0, 1, 2], sentinels: [0, 1, 2] });
        assert.throws(() => antiAffinity(2, 3, 1), /3 redis need 3 nodes/);
    });

    it("falls back to 127.0.0.1 with a message when namespaces are not allowed", async () => {
        const messages: string[] = [];
        const lab = await startNodeLab([quickSpec({ redisCount: 1, sentinelCount: 1 })], 3, root, {
            unavailable: "network namespaces need root (ip netns add)",
            onFallback: (message) => messages.push(message),
        });
        try {
            assert.strictEqual(lab.isolated, false);
            assert.match(messages.join(), /need root .*falling back to the 127\.0\.0\.1 lab/);
            assert.strictEqual(lab.groups[0].redis[0].host, "127.0.0.1");
        } finally {
            await stopNodeLab(lab);
        }
    });

    describe("a group of 3 redis and 3 sentinels on 3 nodes", () => {
        let lab: NodeLab;
        before(async () => {
            lab = await startNodeLab([quickSpec({ redisCount: 3, sentinelCount: 3, holdsData: true })], 3, root);
        });
        after(async () => {
            if (lab) await stopNodeLab(lab);
        });

        it("runs each server in its own node's namespace, on the operator's ports, healthy", async () => {
            const group = lab.groups[0];
            assert.deepStrictEqual(
                group.redis.map((r) => `${nodeOf(lab, r).name} ${r.host}:${r.port}`),
                ["node-1 10.213.0.11:6379", "node-2 10.213.0.12:6379", "node-3 10.213.0.13:6379"],
            );
            assert.deepStrictEqual(
                group.sentinels.map((s) => nodeOf(lab, s).name),
                ["node-1", "node-2", "node-3"],
            );
            // The owned limits and persistence are on the command line, as the rendered command has them.
            assert.deepStrictEqual(group.redis[0].args, [
                "--maxmemory",
                group.spec.maxmemory,
                "--maxmemory-policy",
                group.spec.maxmemoryPolicy,
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
            ]);
            const report = await checkOnce(labTarget(group), labExpectations(group));
            assert.ok(report.healthy, JSON.stringify(report.checks.filter((c) => !c.ok)));
        });

        it("a partition cuts a node off while its processes and a client on it keep talking", () => {
            const { redis, spec } = lab.groups[0];
            const node = nodeOf(lab, redis[2]);
            partitionNode(node);
            try {
                assert.strictEqual(pingFrom(node.netns, redis[2].host!, 6379, spec.password), "PONG", "inside the node");
                assert.notStrictEqual(pingFrom(lab.nodes[0].netns, redis[2].host!, 6379, spec.password), "PONG", "from another node");
            } finally {
                healNode(node);
            }
            assert.strictEqual(pingFrom(lab.nodes[0].netns, redis[2].host!, 6379, spec.password), "PONG", "healed");
        });

        it("a lost node's processes are all gone", async () => {
            const group = lab.groups[0];
            const node = nodeOf(lab, group.redis[2]);
            await loseNode(node);
            assert.ok(await whenGone([group.redis[2].pid, group.sentinels[2].pid], 1000));
        });
    });

    describe("node drills, short form (1 trial per case)", () => {
        const options: NodeDrillOptions = { downAfterMilliseconds: 1000, failoverTimeout: 3000, minReplicasMaxLag: 3, partitionMs: 8000 };
        for (const fault of ["node-loss", "partition"] as const) {
            for (const minReplicas of [false, true]) {
                it(`${fault}, min-replicas-to-write ${minReplicas ? 1 : 0}: completes with sane figures`, async () => {
                    const result = await nodeDrillTrial(root, fault, minReplicas, options);
                    console.log(`      ${JSON.stringify(result)}`);
                    assert.ok(
                        result.recoveryMs !== null && result.recoveryMs >= options.downAfterMilliseconds,
                        "recovered after down-after",
                    );
                    assert.ok(result.recoveryMs! < 30_000);
                    assert.ok(result.acked > 100);
                    assert.ok(result.lost >= 0 && result.lost <= result.acked);
                    if (fault === "node-loss") {
                        assert.ok(result.oldMasterAckedForMs < 100, "a dead master acknowledges nothing");
                    } else if (minReplicas) {
                        // It stops within the lag (plus a replica ACK period) after the partition.
                        assert.ok(result.oldMasterAckedForMs <= options.minReplicasMaxLag * 1000 + 2000, `${result.oldMasterAckedForMs}`);
                    } else {
                        // Without min-replicas it acknowledges while partitioned, and those writes are lost.
                        assert.ok(result.oldMasterAckedForMs > options.minReplicasMaxLag * 1000 + 2000, `${result.oldMasterAckedForMs}`);
                        assert.ok(result.lost > 0);
                    }
                });
            }
        }
    });
});
