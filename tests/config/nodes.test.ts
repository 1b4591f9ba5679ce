import * as assert from "assert";
import { CLUSTER_DEFAULTS } from "../../config/schema/cluster";
import { parseStackConfig, parseStackConfigOrThrow } from "../../config/parse";
import { stackConfig, withSetting } from "../support/stacks";

const CLUSTER = "redis-ha:cluster";
const NODES = "redis-ha:nodes";

function issueAt(config: Record<string, string>, key: string): string {
    const issue = parseStackConfig(config).issues.find((i) => i.key === key);
    assert.ok(issue, `expected an issue at ${key}, got ${JSON.stringify(parseStackConfig(config).issues)}`);
    return issue.message;
}

describe("config: cluster and nodes", () => {
    const dev = stackConfig("dev");

    it("dev declares the seed's three nodes with their types", () => {
        const config = parseStackConfigOrThrow(dev);
        assert.deepStrictEqual(
            config.nodes.map((n) => `${n.purpose}:${n.instanceType}`),
            ["auth:t3.medium", "streams:t3.small", "cache:t3.small"],
        );
        assert.strictEqual(config.cluster?.kubernetesVersion, "1.28.4");
        assert.strictEqual(config.cluster?.controlPlaneHost, "10.0.1.10", "defaults to the endpoint's host");
        assert.strictEqual(config.cluster?.nodeNamePrefix, CLUSTER_DEFAULTS.nodeNamePrefix);
    });

    it("prod declares three nodes per purpose, each in its own subnet, with their types", () => {
        const config = parseStackConfigOrThrow(stackConfig("prod"));
        assert.deepStrictEqual(
            config.nodes.map((n) => `${n.purpose}[${n.index}]:${n.instanceType}`),
            [0, 1, 2]
                .map((i) => `auth[${i}]:t3.medium`)
                .concat(
                    [0, 1, 2].map((i) => `streams[${i}]:t3.small`),
                    [0, 1, 2].map((i) => `cache[${i}]:t3.small`),
                ),
        );
        for (const purpose of ["auth", "streams", "cache"])
            assert.strictEqual(new Set(config.nodes.filter((n) => n.purpose === purpose).map((n) => n.subnetId)).size, 3, purpose);
    });

    it("refuses a prefix that makes node names (with the instance-id suffix) longer than a DNS label", () => {
        const fits = "p".repeat(63 - "-streams-01234567".length);
        assert.deepStrictEqual(parseStackConfig(withSetting(dev, CLUSTER, ["nodeNamePrefix"], fits)).issues, []);
        const tooLong = withSetting(dev, CLUSTER, ["nodeNamePrefix"], `${fits}p`);
        assert.match(issueAt(tooLong, "redis-ha:nodes.streams"), /longer than 63 characters; shorten cluster.nodeNamePrefix/);
    });

    it("bring your own nodes: no nodes, no cluster needed", () => {
        const config = parseStackConfigOrThrow(withSetting(withSetting(dev, NODES, [], undefined), CLUSTER, [], undefined));
        assert.deepStrictEqual(config.nodes, []);
        assert.strictEqual(config.cluster, undefined);
    });

    it("nodes need the cluster they join", () => {
        assert.match(issueAt(withSetting(dev, CLUSTER, [], undefined), CLUSTER), /required when nodes are declared/);
    });

    it("a node must serve a declared instance", () => {
        const config = withSetting(dev, NODES, ["sessions"], { instanceType: "t3.small", subnetId: "subnet-0abc" });
        assert.match(issueAt(config, `${NODES}.sessions`), /names no instance; defined: auth, streams, cache/);
    });

    it("rejects malformed AWS ids and instance types", () => {
        assert.match(issueAt(withSetting(dev, NODES, ["auth", "subnetId"], "subnet_a"), `${NODES}.auth.subnetId`), /subnet id/);
        assert.match(issueAt(withSetting(dev, NODES, ["auth", "instanceType"], "medium"), `${NODES}.auth.instanceType`), /instance type/);
        assert.match(issueAt(withSetting(dev, CLUSTER, ["vpcId"], "my-vpc"), `${CLUSTER}.vpcId`), /VPC id/);
        assert.match(
            issueAt(withSetting(dev, CLUSTER, ["securityGroupIds"], ["sg-1", "default"]), `${CLUSTER}.securityGroupIds[1]`),
            /security group id/,
        );
        assert.match(issueAt(withSetting(dev, CLUSTER, ["amiId"], "ubuntu"), `${CLUSTER}.amiId`), /AMI id/);
    });

    it("requires the endpoint, control-plane group and VPC", () => {
        for (const field of ["controlPlaneEndpoint", "controlPlaneSecurityGroupId", "vpcId"]) {
            assert.match(issueAt(withSetting(dev, CLUSTER, [field], undefined), `${CLUSTER}.${field}`), /required when nodes are managed/);
        }
        assert.match(
            issueAt(withSetting(dev, CLUSTER, ["controlPlaneEndpoint"], "10.0.1.10"), `${CLUSTER}.controlPlaneEndpoint`),
            /host:port/,
        );
    });

    it("requires the nodes' EC2 key pair, naming the key and the command that sets it", () => {
        const message = issueAt(withSetting(dev, CLUSTER, ["keyName"], undefined), `${CLUSTER}.keyName`);
        assert.match(message, /required when nodes are managed/);
        assert.match(message, /pulumi config set --path 'redis-ha:cluster\.keyName' <key pair name>/);
        assert.strictEqual(parseStackConfigOrThrow(dev).cluster?.keyName, "redis-ha-dev");
        assert.strictEqual(parseStackConfigOrThrow(stackConfig("prod")).cluster?.keyName, "redis-ha-prod");
    });

    it("accepts pinned host keys and a bastion, rejects a malformed key", () => {
        const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOv9vJm1K2tb0tqZ+9mXWbqjJXnXh3rj0m5pX3c6pL0y";
        let config = withSetting(dev, CLUSTER, ["controlPlaneHostKey"], key);
        config = withSetting(config, CLUSTER, ["bastion"], { host: "bastion.example.com", hostKey: key });
        const cluster = parseStackConfigOrThrow(config).cluster!;
        assert.strictEqual(cluster.controlPlaneHostKey, key);
        assert.deepStrictEqual(cluster.bastion, { host: "bastion.example.com", user: "ubuntu", port: 22, hostKey: key });
        assert.match(
            issueAt(withSetting(dev, CLUSTER, ["controlPlaneHostKey"], "AAAA"), `${CLUSTER}.controlPlaneHostKey`),
            /SSH public host key/,
        );
    });

    it("rejects a Kubernetes version YAML read as a number", () => {
        assert.match(issueAt(withSetting(dev, CLUSTER, ["kubernetesVersion"], 1.28), `${CLUSTER}.kubernetesVersion`), /non-empty string/);
        assert.match(
            issueAt(withSetting(dev, CLUSTER, ["kubernetesVersion"], "1.28"), `${CLUSTER}.kubernetesVersion`),
            /exact Kubernetes version/,
        );
    });

    describe("several nodes per purpose", () => {
        const prod = stackConfig("prod");
        const node = (subnet: string) => ({ instanceType: "t3.small", subnetId: subnet });
        const [A, B, C] = ["subnet-0aa1b2c3d4e5f6071", "subnet-0bb1b2c3d4e5f6071", "subnet-0cc1b2c3d4e5f6071"];

        it("accepts a list and the single-object form alike, numbering each purpose's nodes from 0", () => {
            const config = parseStackConfigOrThrow(withSetting(dev, NODES, ["auth"], [node(A), node(B)]));
            assert.deepStrictEqual(
                config.nodes.map((n) => [n.purpose, n.index, n.subnetId]),
                [
                    ["auth", 0, A],
                    ["auth", 1, B],
                    ["streams", 0, "subnet-0bb1b2c3d4e5f6071"],
                    ["cache", 0, "subnet-0cc1b2c3d4e5f6071"],
                ],
            );
        });

        it("names a list entry's problem by its index, and refuses an empty list or another shape", () => {
            const config = withSetting(dev, NODES, ["auth"], [node(A), { instanceType: "t3.small", subnetId: "subnet_b", zone: "a" }]);
            assert.match(issueAt(config, `${NODES}.auth[1].subnetId`), /subnet id/);
            assert.match(issueAt(config, `${NODES}.auth[1].zone`), /unknown setting/);
            assert.match(issueAt(withSetting(dev, NODES, ["auth"], []), `${NODES}.auth`), /lists no node/);
            assert.match(issueAt(withSetting(dev, NODES, ["auth"], "t3.small"), `${NODES}.auth`), /must be an object or a list/);
        });

        it("a highly available stack needs at least 3 nodes per purpose", () => {
            const two = withSetting(prod, NODES, ["auth"], [node(A), node(B)]);
            assert.match(issueAt(two, `${NODES}.auth`), /highly available stack needs at least 3 nodes per purpose .* got 2/);
            assert.match(issueAt(withSetting(prod, NODES, ["cache"], node(A)), `${NODES}.cache`), /at least 3 nodes .* got 1/);
            assert.deepStrictEqual(parseStackConfig(withSetting(prod, NODES, ["auth"], [node(A), node(B), node(C)])).issues, []);
        });

        it("a highly available stack needs at least 2 distinct subnets per purpose", () => {
            const one = withSetting(prod, NODES, ["streams"], [node(A), node(A), node(A)]);
            assert.match(issueAt(one, `${NODES}.streams`), /at least 2 subnets of different zones, got only subnet-0aa1b2c3d4e5f6071/);
            assert.deepStrictEqual(parseStackConfig(withSetting(prod, NODES, ["streams"], [node(A), node(A), node(B)])).issues, []);
        });

        it("every redis and every sentinel needs a node of its own, in any stack", () => {
            const config = withSetting(dev, "redis-ha:instances", ["cache", "redis", "replicas"], 2);
            assert.match(
                issueAt(config, `${NODES}.cache`),
                /lists 1 node\(s\), but instances.cache.redis.replicas is 2: no two redis pods/,
            );
            assert.deepStrictEqual(parseStackConfig(withSetting(config, NODES, ["cache"], [node(A), node(B)])).issues, []);
        });

        it("bring your own nodes: a highly available stack without nodes is not counted", () => {
            const config = withSetting(withSetting(prod, NODES, [], undefined), CLUSTER, [], undefined);
            assert.deepStrictEqual(parseStackConfig(config, "prod").issues, []);
        });
    });
});
