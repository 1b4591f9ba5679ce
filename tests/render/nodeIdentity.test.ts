import * as assert from "assert";
import { amiArchitecture, nodeName, ubuntuImageNameFilter } from "../../render/nodeIdentity";
import { nodeIngressRules } from "../../render/nodeNetwork";
import { joinParameters, scriptCommand, shellQuote, taintArgument } from "../../render/nodeScripts";
import { parseStackConfigOrThrow } from "../../config/parse";
import { stackConfig, withSetting } from "../support/stacks";

const TAINT = { key: "dedicated", value: "redis-auth", effect: "NoSchedule" };

describe("render: node identity, network and connections", () => {
    const dev = parseStackConfigOrThrow(withSetting(stackConfig("dev"), "redis-ha:instances", ["auth", "taint"], TAINT));

    describe("pure helpers", () => {
        it("opens nothing to 0.0.0.0/0: kubelet from the control plane only, Calico between cluster nodes", () => {
            const rules = nodeIngressRules(dev.cluster!);
            assert.deepStrictEqual(
                rules.map((r) => [r.protocol, r.fromPort, r.securityGroups, r.self]),
                [
                    ["tcp", 10250, ["sg-0c0e1a2b3c4d5e6f7"], false],
                    ["tcp", 179, ["sg-0c0e1a2b3c4d5e6f7", "sg-0a1b2c3d4e5f60718"], true],
                    ["4", 0, ["sg-0c0e1a2b3c4d5e6f7", "sg-0a1b2c3d4e5f60718"], true],
                ],
            );
            assert.ok(!JSON.stringify(rules).includes("0.0.0.0/0"));
        });

        it("picks arm64 images for Graviton types and amd64 otherwise", () => {
            assert.strictEqual(amiArchitecture("t3.medium"), "amd64");
            assert.strictEqual(amiArchitecture("t4g.medium"), "arm64");
            assert.strictEqual(amiArchitecture("c6gn.large"), "arm64");
            assert.strictEqual(amiArchitecture("g5.xlarge"), "amd64");
            assert.strictEqual(ubuntuImageNameFilter("amd64"), "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*");
        });

        it("spells taints as kubectl takes them", () => {
            assert.strictEqual(taintArgument({ key: "dedicated", value: "redis", effect: "NoSchedule" }), "dedicated=redis:NoSchedule");
            assert.strictEqual(taintArgument({ key: "dedicated", value: "", effect: "NoExecute" }), "dedicated:NoExecute");
        });

        it("gives the join script endpoint, name, label and taint, and no token", () => {
            const parameters = joinParameters(dev.cluster!, "k8s-redis-auth", "redis-cluster=auth", dev.instances[0].taint);
            assert.deepStrictEqual(parameters, {
                API_SERVER_ENDPOINT: "10.0.1.10:6443",
                NODE_NAME: "k8s-redis-auth",
                NODE_LABELS: "redis-cluster=auth",
                NODE_TAINT_KEY: "dedicated",
                NODE_TAINT_VALUE: "redis-auth",
                NODE_TAINT_EFFECT: "NoSchedule",
            });
        });

        it("names each instance's node apart: purpose plus the last 8 hex digits of the instance id", () => {
            assert.strictEqual(nodeName("k8s-redis", "auth", "i-0123456789abcdef0"), "k8s-redis-auth-9abcdef0");
            assert.strictEqual(nodeName("k8s-redis", "auth", "i-0a1b2c3d"), "k8s-redis-auth-0a1b2c3d");
            assert.notStrictEqual(
                nodeName("k8s-redis", "auth", "i-0123456789abcdef0"),
                nodeName("k8s-redis", "auth", "i-0fedcba9876543210"),
            );
            assert.strictEqual(nodeName("k8s-redis", "auth", "<id of auth-node-instance>"), "k8s-redis-auth-<last 8 of instance id>");
        });

        it("quotes parameters for the shell and refuses names that are not variables", () => {
            assert.strictEqual(shellQuote("it's"), `'it'\\''s'`);
            assert.match(
                scriptCommand("reset-node.sh", { NODE_NAME: "a b" }),
                /^# redis-ha: scripts\/reset-node.sh\n.*\nsudo env NODE_NAME='a b' bash "\$script"$/s,
            );
            assert.throws(() => scriptCommand("reset-node.sh", { "BAD;rm": "x" }), /not an environment variable name/);
        });
    });
});
