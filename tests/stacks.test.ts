// dev and prod planned together: no object of one may take the name of an object of the other where
// both live (a Kubernetes object or Helm release in the same cluster, an AWS name in the same
// account), and each stack's vCPU preflight counts the other's running nodes.

import * as assert from "assert";
import { parseStackConfigOrThrow } from "../config/parse";
import { FAILOVER_GROUP } from "../facts/operator";
import { ProgramRun } from "../plan/mockRuntime";
import { planStack } from "../plan/planStack";
import { DEFAULT_ACCOUNT, withDeployedNodes } from "../plan/simulatedAccount";
import { stackConfig } from "./support/stacks";

/** A planned stack and where its objects live. */
interface PlannedStack {
    stack: string;
    /** The cluster: its API server (`cluster.controlPlaneEndpoint`), else the ambient kubeconfig's. */
    cluster: string;
    /** The AWS account. Both stack files deploy with the same role (deploy.yml), so one account. */
    account: string;
    run: ProgramRun;
}

/** A name that must be unique where it lives: in one cluster or in one AWS account. */
interface NamedObject {
    scope: "cluster" | "account";
    key: string;
}

const text = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value));

/** Every name a plan takes, keyed as the API that holds it keys it. Autonamed objects (no name given) are left out. */
export function namedObjects(run: ProgramRun): NamedObject[] {
    const found: NamedObject[] = [];
    const add = (scope: NamedObject["scope"], key: string) => found.push({ scope, key });
    for (const { type, inputs } of run.resources) {
        const metadata = (inputs.metadata ?? {}) as { name?: string; namespace?: string };
        const tags = (inputs.tags ?? {}) as Record<string, string>;
        if (type === "kubernetes:helm.sh/v3:Release") add("cluster", `Helm release ${text(inputs.namespace)}/${text(inputs.name)}`);
        else if (type === "kubernetes:yaml/v2:ConfigFile")
            add("cluster", `apiextensions.k8s.io/v1/CustomResourceDefinition redisfailovers.${FAILOVER_GROUP}`);
        else if (type.startsWith("kubernetes:") && metadata.name !== undefined) {
            const [, apiVersion, kind] = /^kubernetes:(.+):(\w+)$/.exec(type)!;
            add("cluster", `${apiVersion}/${kind} ${metadata.namespace ?? ""}/${metadata.name}`);
        } else if (type === "aws:secretsmanager/secret:Secret" && inputs.name !== undefined)
            add("account", `Secrets Manager secret ${text(inputs.name)}`);
        else if (type === "aws:ec2/securityGroup:SecurityGroup") {
            if (inputs.name !== undefined) add("account", `security group ${text(inputs.name)}`);
            if (tags.Name !== undefined) add("account", `security group Name tag ${tags.Name}`);
        } else if (type === "aws:ec2/instance:Instance" && tags.Name !== undefined) add("account", `instance Name tag ${tags.Name}`);
    }
    // Nodes are registered by the join script, not as Pulumi resources: their names are in the outputs.
    const nodes = (run.outputs.managedNodes ?? {}) as Record<string, Array<{ nodeName: string }>>;
    for (const node of Object.values(nodes).flat()) add("cluster", `v1/Node ${node.nodeName}`);
    return found;
}

/** Names taken by more than one stack in the same cluster or account: `<where> <key>: <stacks>`. */
export function collisions(stacks: PlannedStack[]): string[] {
    const owners = new Map<string, Set<string>>();
    for (const planned of stacks) {
        for (const object of namedObjects(planned.run)) {
            const where = object.scope === "cluster" ? `cluster ${planned.cluster}` : `account ${planned.account}`;
            const id = `${where}: ${object.key}`;
            owners.set(id, (owners.get(id) ?? new Set()).add(planned.stack));
        }
    }
    return [...owners].filter(([, names]) => names.size > 1).map(([id, names]) => `${id} (${[...names].join(", ")})`);
}

async function planned(stack: string): Promise<PlannedStack> {
    const result = await planStack(stack);
    assert.ok(result.ok, result.ok ? "" : result.problems.join("\n"));
    const config = parseStackConfigOrThrow(stackConfig(stack), stack);
    return { stack, cluster: config.cluster?.controlPlaneEndpoint ?? "(ambient kubeconfig)", account: "(deploy role's)", run: result.run };
}

describe("stacks: dev and prod together", function () {
    this.timeout(60_000);
    let dev: PlannedStack;
    let prod: PlannedStack;
    before(async () => {
        // One after the other: the mock runtime is one per process.
        dev = await planned("dev");
        prod = await planned("prod");
    });

    it("target separate clusters (their own API servers), as the seed's clusters/<env>/ layout has it", () => {
        assert.notStrictEqual(dev.cluster, prod.cluster);
        const vpc = (stack: string) => parseStackConfigOrThrow(stackConfig(stack), stack).cluster?.vpcId;
        assert.notStrictEqual(vpc("dev"), vpc("prod"));
    });

    it("take no Kubernetes or Helm name twice in one cluster, and no AWS name twice in the account", () => {
        const names = namedObjects(dev.run).map((o) => o.key);
        // The check sees every kind of name the brief lists, so an empty result means something.
        for (const kind of [
            "core/v1/Namespace",
            "Helm release",
            "external-secrets.io/v1/ExternalSecret",
            "Secrets Manager",
            "instance Name tag",
        ])
            assert.ok(
                names.some((name) => name.startsWith(kind)),
                kind,
            );
        assert.deepStrictEqual(collisions([dev, prod]), []);
    });

    it("would find the collisions of two stacks on one cluster", () => {
        const found = collisions([dev, { ...prod, cluster: dev.cluster }]);
        for (const expected of [
            "core/v1/Namespace /redis (",
            "core/v1/Namespace /redis-operator (",
            "Helm release redis-operator/redis-operator (",
            `${FAILOVER_GROUP}/v1/RedisFailover redis/auth-redis (`,
            "core/v1/Secret redis/auth-redis-auth (",
            "external-secrets.io/v1/ExternalSecret api/api-redis-env (",
            `CustomResourceDefinition redisfailovers.${FAILOVER_GROUP} (`,
        ]) {
            assert.ok(
                found.some((line) => line.includes(expected)),
                `${expected}\n${found.join("\n")}`,
            );
        }
    });

    it("would find the AWS names of two stacks that do not carry the stack in them", () => {
        const found = collisions([dev, { ...dev, stack: "prod" }]);
        for (const expected of ["Secrets Manager secret redis-ha/dev/app-env (", "instance Name tag k8s-redis-auth ("])
            assert.ok(
                found.some((line) => line.startsWith(`account (deploy role's): ${expected}`)),
                `${expected}\n${found.join("\n")}`,
            );
    });

    it("the vCPU preflight of one stack counts the other's running nodes, not its own", async () => {
        // The seed's account (36 vCPUs running) once both stacks' nodes run: prod 9 nodes (18 vCPUs), dev 3 (6).
        const account = withDeployedNodes(withDeployedNodes(DEFAULT_ACCOUNT, "prod", prod.run.resources), "dev", dev.run.resources);
        assert.strictEqual(account.running.length, DEFAULT_ACCOUNT.running.length + 12);
        // Both fit the raised quota of 64 (each plan above passed it); below 60 the second stack stops at its preflight.
        // 54 running = the account's 36 + prod's 18; dev's own 6 running vCPUs are counted once, as planned.
        const result = await planStack("dev", undefined, { ...account, vcpuQuota: 59 });
        assert.ok(!result.ok, "both stacks' nodes do not fit a 59 vCPU quota next to the account's 36");
        assert.match(result.problems.join("\n"), /need 6 vCPUs and 54 On-Demand vCPUs are already running; 60 exceeds .* of 59/);
    });

    it("prod's plan: at least 3 nodes per purpose over at least 2 zones (3 here), each failover waiting for all of its nodes", () => {
        const instances = prod.run.resources.filter((r) => r.type === "aws:ec2/instance:Instance");
        const zones = new Map<string, string[]>();
        for (const instance of instances) {
            const purpose = (instance.inputs.tags as Record<string, string>).purpose;
            zones.set(purpose, [...(zones.get(purpose) ?? []), DEFAULT_ACCOUNT.subnets[String(instance.inputs.subnetId)].zone]);
        }
        assert.deepStrictEqual([...zones.keys()].sort(), ["auth", "cache", "streams"]);
        for (const [purpose, list] of zones) {
            assert.ok(list.length >= 3, `${purpose}: ${list.length} nodes`);
            assert.strictEqual(new Set(list).size, 3, `${purpose}: zones ${list.join(", ")}`);
            const failover = prod.run.resources.find((r) => r.name === `${purpose}-redis-failover`)!;
            const ready = prod.run.resources.filter((r) => r.name.startsWith(`${purpose}-node`) && r.name.endsWith("-ready"));
            assert.deepStrictEqual(ready.map((r) => r.name).sort(), [
                `${purpose}-node-2-ready`,
                `${purpose}-node-3-ready`,
                `${purpose}-node-ready`,
            ]);
            for (const node of ready) assert.ok(failover.dependencies.includes(node.urn), `${failover.name} waits for ${node.name}`);
        }
        const managed = prod.run.outputs.managedNodes as Record<string, Array<{ zone: string }>>;
        assert.deepStrictEqual(
            managed.auth.map((node) => node.zone),
            ["ap-northeast-2a", "ap-northeast-2b", "ap-northeast-2c"],
        );
    });
});
