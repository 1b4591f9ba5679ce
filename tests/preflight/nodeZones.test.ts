// Several nodes per purpose: their names, and the zone preflight and zone label that keep a highly
// available group over at least two availability zones and every pod within the zone spread's reach.

import * as assert from "assert";
import { checkNodeZones, nodeZonesProblem } from "../../preflight/nodeZones";
import { nodeComponentName, nodeTags } from "../../render/nodeIdentity";
import { RedisNode } from "../../components/redisNode";
import { NodeConfig } from "../../config/types";
import { parseStackConfigOrThrow } from "../../config/parse";
import { RecordedResource, recordResources, resolveExport } from "../../plan/mockRuntime";
import { answerInvoke, DEFAULT_ACCOUNT, SimulatedAccount } from "../../plan/simulatedAccount";
import { runWithConfig, stackConfig, withSetting } from "../support/stacks";

const prod = parseStackConfigOrThrow(stackConfig("prod"), "prod");
const PROD_VPC = prod.cluster!.vpcId;

const HA = { highlyAvailable: true, instances: prod.instances };

async function zonesOf(nodes: NodeConfig[], account: SimulatedAccount = DEFAULT_ACCOUNT, vpcId = PROD_VPC, rules = HA) {
    const { result } = await recordResources({ stack: "prod", invoke: (token, inputs) => answerInvoke(account, token, inputs) }, () =>
        resolveExport(checkNodeZones({ nodes, vpcId, ...rules })),
    );
    return result;
}

/** `count` nodes of a purpose over the prod VPC's subnets, `perZone` per subnet (2a, 2b, 2c). */
function nodesOver(purpose: string, perZone: number[]): NodeConfig[] {
    const subnets = ["subnet-0dd1b2c3d4e5f6071", "subnet-0e2b3c4d5e6f70812", "subnet-0f3c4d5e6f7081923"];
    const subnetIds = perZone.flatMap((count, zone) => Array<string>(count).fill(subnets[zone]));
    return subnetIds.map((subnetId, index) => ({ purpose, index, instanceType: "t3.small", subnetId, rootVolumeGiB: 30 }));
}

/** prod's instances with auth's sentinels and redis counts changed. */
function authWith(sentinels: number, redis = 3) {
    return prod.instances.map((i) =>
        i.purpose === "auth" ? { ...i, sentinel: { ...i.sentinel, replicas: sentinels }, redis: { ...i.redis, replicas: redis } } : i,
    );
}

describe("preflight: nodes over zones", () => {
    it("names the first node of a purpose as a single node was always named, then -2, -3", () => {
        assert.deepStrictEqual(
            [0, 1, 2].map((index) => nodeComponentName("auth", index)),
            ["auth-node", "auth-node-2", "auth-node-3"],
        );
        assert.strictEqual(nodeTags("k8s-redis-prod", "auth", "prod").Name, "k8s-redis-prod-auth");
        assert.strictEqual(nodeTags("k8s-redis-prod", "auth", "prod", 2).Name, "k8s-redis-prod-auth-3");
    });

    it("passes when every purpose spans two zones, and names each purpose that does not", () => {
        const two = [
            { subnetId: "subnet-a", zone: "az-a" },
            { subnetId: "subnet-b", zone: "az-b" },
            { subnetId: "subnet-b", zone: "az-b" },
        ];
        assert.strictEqual(nodeZonesProblem({ auth: two, cache: two }, { highlyAvailable: true, instances: [] }), undefined);
        const one = [
            { subnetId: "subnet-a", zone: "az-a" },
            { subnetId: "subnet-c", zone: "az-a" },
            { subnetId: "subnet-a", zone: "az-a" },
        ];
        const problem = nodeZonesProblem({ auth: two, cache: one, streams: one }, { highlyAvailable: true, instances: [] })!;
        assert.match(
            problem,
            /^zone preflight: redis-ha:nodes.cache: its 3 nodes are in 1 availability zone \(subnet-a in az-a, subnet-c in az-a/,
        );
        assert.match(problem, /; redis-ha:nodes.streams: /);
        assert.doesNotMatch(problem, /nodes.auth/);
        assert.strictEqual(nodeZonesProblem({ cache: one }, { highlyAvailable: false, instances: [] }), undefined, "one zone outside HA");
    });

    it("refuses sentinels the zone spread cannot place (5 on nodes 3/1/1), naming the key and the arithmetic; accepts 2/2/1", async () => {
        const auth = nodesOver("auth", [3, 1, 1]);
        const rules = { highlyAvailable: true, instances: authWith(5) };
        await assert.rejects(
            zonesOf(auth, DEFAULT_ACCOUNT, PROD_VPC, rules),
            (error: Error) =>
                error.message.includes(
                    "zone preflight: redis-ha:instances.auth.sentinel.replicas: 5 sentinels over zones ap-northeast-2a:3 " +
                        "ap-northeast-2b:1 ap-northeast-2c:1 (nodes per zone) with maxSkew 1 place at most 4: ",
                ) &&
                /1 would stay Pending.* Run at most 3, or add nodes in ap-northeast-2b, ap-northeast-2c \(redis-ha:nodes.auth\)/.test(
                    error.message,
                ) &&
                !/redis.replicas/.test(error.message),
        );
        const zones = (await zonesOf(nodesOver("auth", [2, 2, 1]), DEFAULT_ACCOUNT, PROD_VPC, rules)) as Record<string, unknown[]>;
        assert.strictEqual(zones.auth.length, 5);
    });

    it("refuses redis the zone spread cannot place, also outside HA stacks; one zone places them all", () => {
        const zones = (perZone: number[]) => ({
            auth: perZone.flatMap((count, zone) =>
                Array.from({ length: count }, () => ({ subnetId: `subnet-${zone}`, zone: `az-${zone}` })),
            ),
        });
        const rules = { highlyAvailable: false, instances: authWith(3, 4) };
        assert.match(
            nodeZonesProblem(zones([3, 1]), rules) ?? "",
            /^zone preflight: redis-ha:instances.auth.redis.replicas: 4 redis over zones az-0:3 az-1:1 \(nodes per zone\) with maxSkew 1 place at most 3: /,
        );
        assert.strictEqual(nodeZonesProblem(zones([2, 2]), rules), undefined);
        assert.strictEqual(nodeZonesProblem(zones([4]), rules), undefined);
    });

    it("prod's nodes: three per purpose, over three zones of the simulated account", async () => {
        const zones = (await zonesOf(prod.nodes)) as Record<string, Array<{ zone: string }>>;
        assert.deepStrictEqual(Object.keys(zones), ["auth", "streams", "cache"]);
        for (const nodes of Object.values(zones)) {
            assert.deepStrictEqual(
                nodes.map((n) => n.zone),
                ["ap-northeast-2a", "ap-northeast-2b", "ap-northeast-2c"],
            );
        }
    });

    it("fails naming the key when two distinct subnets are in one zone, and a subnet outside the cluster's VPC", async () => {
        const account = {
            ...DEFAULT_ACCOUNT,
            subnets: { ...DEFAULT_ACCOUNT.subnets, "subnet-0aa": { zone: "ap-northeast-2a", vpcId: PROD_VPC } },
        };
        const nodes = prod.nodes.map((node) => (node.purpose === "auth" && node.index > 0 ? { ...node, subnetId: "subnet-0aa" } : node));
        await assert.rejects(zonesOf(nodes, account), /zone preflight: redis-ha:nodes.auth: its 3 nodes are in 1 availability zone/);
        await assert.rejects(
            zonesOf(prod.nodes, DEFAULT_ACCOUNT, "vpc-0a1b2c3d4e5f60718"),
            /subnet-0dd1b2c3d4e5f6071 is in vpc-0b2c.*not in the cluster's vpc-0a1b2c3d4e5f60718 \(redis-ha:cluster.vpcId\)/,
        );
        const unknown = prod.nodes.map((node) => ({ ...node, subnetId: "subnet-0123456789abcdef0" }));
        await assert.rejects(zonesOf(unknown), /cannot look up subnet subnet-0123456789abcdef0/);
    });

    it("labels each node with its subnet's zone before the purpose label, so the zone spread can use it", async () => {
        const node = prod.nodes.find((n) => n.purpose === "auth" && n.index === 1)!;
        const { resources } = await recordResources(
            { stack: "prod", invoke: (token, inputs) => answerInvoke(DEFAULT_ACCOUNT, token, inputs) },
            () =>
                new RedisNode(nodeComponentName(node.purpose, node.index), {
                    node,
                    cluster: prod.cluster!,
                    placementLabel: "redis-cluster",
                    stack: "prod",
                }),
        );
        const byName = new Map(resources.map((r) => [r.name, r]));
        const zone = byName.get("auth-node-2-zone")!;
        assert.match(String(zone.inputs.create), /^# redis-ha: scripts\/label-node.sh\n/);
        assert.match(String(zone.inputs.create), /NODE_LABEL='topology.kubernetes.io\/zone=ap-northeast-2b'/);
        assert.ok(zone.dependencies.includes(byName.get("auth-node-2-join")!.urn));
        assert.ok(byName.get("auth-node-2-ready")!.dependencies.includes(zone.urn));
        assert.strictEqual(byName.get("auth-node-2-instance")!.inputs.subnetId, "subnet-0e2b3c4d5e6f70812");
    });

    it("the program fails before creating anything when the zone spread cannot place every pod, in a stack that is not HA too", async () => {
        // dev cut down to its cache instance, with 4 redis on nodes in zones 2a, 2a, 2a, 2b: at most 3 fit.
        const [a, b] = ["subnet-0aa1b2c3d4e5f6071", "subnet-0bb1b2c3d4e5f6071"];
        const nodes = [a, a, a, b].map((subnetId) => ({ instanceType: "t3.small", subnetId }));
        let config = withSetting(stackConfig("dev"), "redis-ha:nodes", [], { cache: nodes });
        config = withSetting(config, "redis-ha:instances", ["cache", "redis", "replicas"], 4);
        config = withSetting(config, "redis-ha:instances", ["auth"], undefined);
        config = withSetting(withSetting(config, "redis-ha:instances", ["streams"], undefined), "redis-ha:appEnv", [], []);
        await assert.rejects(runWithConfig("dev", config), (error: Error & { registered?: RecordedResource[] }) => {
            assert.match(error.message, /zone preflight: redis-ha:instances.cache.redis.replicas: 4 redis over zones ap-northeast-2a:3 /);
            assert.deepStrictEqual(
                error.registered?.filter((r) => r.custom).map((r) => r.type),
                [],
            );
            return true;
        });
        const even = withSetting(config, "redis-ha:nodes", [], {
            cache: [a, a, b, b].map((subnetId) => ({ instanceType: "t3.small", subnetId })),
        });
        const run = await runWithConfig("dev", even);
        assert.strictEqual(run.resources.filter((r) => r.type === "aws:ec2/instance:Instance").length, 4);
    });
});
