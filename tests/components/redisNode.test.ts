import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { RedisNode } from "../../components/redisNode";
import { parseStackConfigOrThrow } from "../../config/parse";
import { StackConfig } from "../../config/types";
import { RecordedResource, recordResources, SECRET_MASK } from "../../plan/mockRuntime";
import { answerInvoke, DEFAULT_ACCOUNT } from "../../plan/simulatedAccount";
import { stackConfig, withSetting } from "../support/stacks";

const TAINT = { key: "dedicated", value: "redis-auth", effect: "NoSchedule" };

/** Every resource `urn` waits for, directly or through others. */
function waitsFor(resources: RecordedResource[], urn: string): Set<string> {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const seen = new Set<string>();
    const visit = (current: string) => {
        for (const dependency of byUrn.get(current)?.dependencies ?? []) {
            if (!seen.has(dependency)) {
                seen.add(dependency);
                visit(dependency);
            }
        }
    };
    visit(urn);
    return seen;
}

describe("components: RedisNode", () => {
    const dev = parseStackConfigOrThrow(withSetting(stackConfig("dev"), "redis-ha:instances", ["auth", "taint"], TAINT));

    describe("under the mock runtime", () => {
        let resources: RecordedResource[];
        let byName: Map<string, RecordedResource>;

        async function build(config: StackConfig, sshPrivateKey?: string) {
            const node = config.nodes.find((n) => n.purpose === "auth")!;
            const instance = config.instances.find((i) => i.purpose === "auth")!;
            const run = await recordResources(
                { stack: "dev", invoke: (token, inputs) => answerInvoke(DEFAULT_ACCOUNT, token, inputs) },
                () => {
                    return new RedisNode("auth-node", {
                        node,
                        cluster: config.cluster!,
                        placementLabel: config.placementLabel,
                        taint: instance.taint,
                        stack: "dev",
                        sshPrivateKey: sshPrivateKey === undefined ? undefined : pulumi.secret(sshPrivateKey),
                    });
                },
            );
            return run.resources;
        }

        before(async () => {
            resources = await build(dev, "-----BEGIN OPENSSH PRIVATE KEY-----TESTKEY");
            byName = new Map(resources.map((r) => [r.name, r]));
        });

        it("creates the instance with IMDSv2 (hop limit 2), an encrypted gp3 root, standard credits and findable tags", () => {
            const instance = byName.get("auth-node-instance")!;
            assert.strictEqual(instance.type, "aws:ec2/instance:Instance");
            assert.deepStrictEqual(instance.inputs.metadataOptions, {
                httpEndpoint: "enabled",
                httpTokens: "required",
                httpPutResponseHopLimit: 2,
            });
            assert.deepStrictEqual(instance.inputs.rootBlockDevice, {
                volumeType: "gp3",
                volumeSize: 30,
                encrypted: true,
                deleteOnTermination: true,
            });
            assert.deepStrictEqual(instance.inputs.creditSpecification, { cpuCredits: "standard" });
            assert.strictEqual(instance.inputs.instanceType, "t3.medium");
            assert.strictEqual(instance.inputs.subnetId, "subnet-0aa1b2c3d4e5f6071");
            assert.deepStrictEqual(instance.inputs.tags, {
                Name: "k8s-redis-auth",
                stack: "dev",
                purpose: "auth",
                "managed-by": "redis-ha",
            });
            assert.deepStrictEqual(instance.ignoreChanges, ["ami"], "a newly published image must not replace the node");
        });

        it("attaches the cluster's groups plus its own, and its own opens nothing to 0.0.0.0/0", () => {
            const instance = byName.get("auth-node-instance")!;
            const groups = instance.inputs.vpcSecurityGroupIds as string[];
            assert.strictEqual(groups[0], "sg-0a1b2c3d4e5f60718");
            assert.strictEqual(groups.length, 2);
            const sg = byName.get("auth-node-sg")!;
            assert.ok(!JSON.stringify(sg.inputs.ingress).includes("0.0.0.0/0"));
            assert.strictEqual(sg.inputs.vpcId, "vpc-0a1b2c3d4e5f60718");
        });

        it("a pinned AMI is used as given, and a change of it replaces the node", async () => {
            const pinned = parseStackConfigOrThrow(withSetting(stackConfig("dev"), "redis-ha:cluster", ["amiId"], "ami-0123456789abcdef0"));
            const instance = (await build(pinned)).find((r) => r.name === "auth-node-instance")!;
            assert.strictEqual(instance.inputs.ami, "ami-0123456789abcdef0");
            assert.deepStrictEqual(instance.ignoreChanges, []);
        });

        it("orders the commands: prepare, reset hook, removal hook, join, zone label, ready; destroy runs them backwards", () => {
            const order = ["prepare", "reset-over-ssh", "removal", "join", "zone", "ready"].map((step) => byName.get(`auth-node-${step}`)!);
            for (let later = 1; later < order.length; later++) {
                const before = order[later - 1];
                assert.ok(waitsFor(resources, order[later].urn).has(before.urn), `${order[later].name} waits for ${before.name}`);
            }
            const instance = byName.get("auth-node-instance")!;
            assert.ok(waitsFor(resources, order[0].urn).has(instance.urn), "the commands wait for the instance");
            // Pulumi deletes dependents first: ready, join, then removal (drain and delete the node),
            // then reset (kubeadm reset on the node), then prepare, then the instance is terminated.
            assert.ok(!resources.some((r) => r.name.endsWith("-join-token")), "no token command: no token in state");
            for (const step of order) {
                assert.deepStrictEqual(
                    step.inputs.triggers,
                    ["<id of auth-node-instance, known after deploy>"],
                    `${step.name} is redone for a new instance`,
                );
            }
        });

        it("removes the node from the control plane on delete, then resets it", () => {
            const removal = byName.get("auth-node-removal")!;
            assert.match(String(removal.inputs.delete), /^# redis-ha: scripts\/remove-node.sh/);
            assert.match(String(removal.inputs.delete), /NODE_NAME='k8s-redis-auth-<last 8 of instance id>'/);
            assert.match(String(removal.inputs.delete), /DRAIN_TIMEOUT_SECONDS='120'/);
            const reset = byName.get("auth-node-reset-over-ssh")!;
            assert.strictEqual(reset.type, "command:local:Command", "run where pulumi runs: a gone node cannot fail the destroy");
            assert.match(String(reset.inputs.delete), /^# redis-ha: scripts\/reset-over-ssh.sh/);
            assert.match(String(reset.inputs.delete), /NODE_HOST='<known after deploy>'/);
            assert.strictEqual(reset.inputs.stdin, SECRET_MASK, "the key on stdin, secret");
            assert.ok(removal.dependencies.includes(reset.urn), "removal is deleted before the reset");
            // The reset of stacks deployed before: kept with no delete, so dropping it resets nothing.
            const earlier = byName.get("auth-node-reset")!;
            assert.strictEqual(earlier.type, "command:remote:Command");
            assert.strictEqual(earlier.inputs.delete, undefined);
        });

        it("joins in one local step that creates, uses and deletes the token: nothing of it in any input", () => {
            const join = byName.get("auth-node-join")!;
            assert.strictEqual(join.type, "command:local:Command");
            const text = String(join.inputs.create);
            assert.match(text, /^# redis-ha: scripts\/join-cluster.sh\n/);
            assert.match(
                text,
                /\nenv CONTROL_PLANE_HOST='10.0.1.10' NODE_HOST='<known after deploy>' SSH_USER='ubuntu' MINT_COMMAND='# redis-ha: scripts\/create-join-token.sh/,
            );
            assert.match(text, /JOIN_COMMAND='# redis-ha: scripts\/join-node.sh/);
            assert.strictEqual(join.inputs.stdin, SECRET_MASK, "the SSH key, secret as in the connections");
            assert.strictEqual(join.inputs.environment, undefined, "nothing through the environment");
            for (const resource of resources.filter((r) => r.type.startsWith("command:"))) {
                assert.doesNotMatch(JSON.stringify(resource.inputs), /PULUMI_COMMAND_STDOUT|[a-z0-9]{6}\.[a-z0-9]{16}/, resource.name);
                assert.ok(!resource.additionalSecretOutputs.includes("stdout"), `${resource.name}: no output to hide`);
            }
        });

        it("without a configured key, the join uses the SSH agent: no stdin", async () => {
            const join = (await build(dev)).find((r) => r.name === "auth-node-join")!;
            assert.strictEqual(join.inputs.stdin, undefined);
        });

        it("joins with label redis-cluster=auth and the instance's taint, then reconciles both", () => {
            const join = String(byName.get("auth-node-join")!.inputs.create);
            assert.match(join, /NODE_NAME='\\''k8s-redis-auth-<last 8 of instance id>'\\'' NODE_LABELS='\\''redis-cluster=auth'\\''/);
            assert.match(
                join,
                /NODE_TAINT_KEY='\\''dedicated'\\'' NODE_TAINT_VALUE='\\''redis-auth'\\'' NODE_TAINT_EFFECT='\\''NoSchedule'\\''/,
            );
            const ready = String(byName.get("auth-node-ready")!.inputs.create);
            assert.match(
                ready,
                /NODE_NAME='k8s-redis-auth-<last 8 of instance id>' NODE_IP='<known after deploy>' NODE_LABEL='redis-cluster=auth' NODE_LABEL_SLOT='purpose' NODE_TAINT='dedicated=redis-auth:NoSchedule' READY_TIMEOUT_SECONDS='300'/,
            );
        });

        it("pins the cluster's Kubernetes version and pause image in the prepare step", () => {
            assert.match(
                String(byName.get("auth-node-prepare")!.inputs.create),
                /KUBERNETES_VERSION='1.28.4' PAUSE_IMAGE='registry.k8s.io\/pause:3.9'/,
            );
        });

        it("keeps the SSH key secret: every connection is masked", () => {
            for (const resource of resources.filter((r) => r.type === "command:remote:Command")) {
                assert.strictEqual(resource.inputs.connection, SECRET_MASK, resource.name);
            }
            assert.ok(!JSON.stringify(resources).includes("TESTKEY"));
        });

        it("ships a prepare step that waits for apt's and dpkg's locks, bounded", () => {
            const text = String(byName.get("auth-node-prepare")!.inputs.create);
            const body = Buffer.from(/echo '([A-Za-z0-9+/=]+)' \| base64 -d/.exec(text)![1], "base64").toString("utf8");
            assert.match(body, /DPkg::Lock::Timeout=\$APT_LOCK_TIMEOUT_SECONDS/);
            assert.match(body, /^APT_LOCK_TIMEOUT_SECONDS="\$\{APT_LOCK_TIMEOUT_SECONDS:-\d+\}"$/m);
            assert.match(body, /apt_step apt-get update/);
        });

        it("sends no previous output by SSH Setenv: every remote command has addPreviousOutputInEnv false", () => {
            const remote = resources.filter((r) => r.type === "command:remote:Command");
            assert.strictEqual(remote.length, 5);
            for (const resource of remote) assert.strictEqual(resource.inputs.addPreviousOutputInEnv, false, resource.name);
        });

        it("parents every child to the component", () => {
            const component = byName.get("auth-node")!;
            assert.strictEqual(component.type, "redis-ha:aws:RedisNode");
            for (const resource of resources.filter((r) => r !== component && r.name.startsWith("auth-node-"))) {
                assert.strictEqual(resource.parent, component.urn, resource.name);
            }
        });
    });
});
