import * as assert from "assert";
import { checkVcpuQuota, isStandardFamily, vcpuQuotaProblem } from "../../preflight/vcpuQuota";
import { NodeConfig } from "../../config/types";
import { recordResources, resolveExport } from "../../plan/mockRuntime";
import { answerInvoke, DEFAULT_ACCOUNT, SimulatedAccount } from "../../plan/simulatedAccount";

const NODES: NodeConfig[] = [
    { purpose: "auth", index: 0, instanceType: "t3.medium", subnetId: "subnet-0a", rootVolumeGiB: 30 },
    { purpose: "streams", index: 0, instanceType: "t3.small", subnetId: "subnet-0b", rootVolumeGiB: 30 },
    { purpose: "cache", index: 0, instanceType: "t3.small", subnetId: "subnet-0c", rootVolumeGiB: 30 },
];

async function measure(account: SimulatedAccount, nodes: NodeConfig[] = NODES) {
    const { result } = await recordResources({ stack: "dev", invoke: (token, inputs) => answerInvoke(account, token, inputs) }, () =>
        resolveExport(checkVcpuQuota({ nodes, stack: "dev" })),
    );
    return result;
}

describe("preflight: the vCPU quota", () => {
    it("knows which families the Standard On-Demand quota covers", () => {
        for (const type of ["t3.small", "m5.large", "c6i.xlarge", "r7g.large", "i4i.large", "z1d.large"])
            assert.ok(isStandardFamily(type), type);
        for (const type of ["g5.xlarge", "p4d.24xlarge", "x2idn.large", "inf2.xlarge", "trn1.2xlarge", "dl1.24xlarge"])
            assert.ok(!isStandardFamily(type), type);
    });

    it("passes when planned plus running fit, and names all three numbers when they do not", () => {
        assert.strictEqual(vcpuQuotaProblem({ plannedVcpus: 6, runningVcpus: 36, quotaVcpus: 43 }), undefined);
        assert.strictEqual(vcpuQuotaProblem({ plannedVcpus: 7, runningVcpus: 36, quotaVcpus: 43 }), undefined);
        const problem = vcpuQuotaProblem({ plannedVcpus: 8, runningVcpus: 36, quotaVcpus: 43 });
        assert.match(problem!, /need 8 vCPUs and 36 On-Demand vCPUs are already running; 44 exceeds .*L-1216C47A\) of 43/);
    });

    it("measures the seed's account: 3 small nodes (6 vCPUs) next to 36 running fit the raised quota of 64", async () => {
        assert.deepStrictEqual(await measure(DEFAULT_ACCOUNT), { plannedVcpus: 6, runningVcpus: 36, quotaVcpus: 64 });
    });

    it("counts every node of every purpose: prod's nine (18 vCPUs) would not have fit the original 43", async () => {
        const nine = ["auth", "streams", "cache"].flatMap((purpose) =>
            [0, 1, 2].map((index) => ({ ...NODES[0], purpose, index, instanceType: purpose === "auth" ? "t3.medium" : "t3.small" })),
        );
        assert.deepStrictEqual(await measure(DEFAULT_ACCOUNT, nine), { plannedVcpus: 18, runningVcpus: 36, quotaVcpus: 64 });
        await assert.rejects(measure({ ...DEFAULT_ACCOUNT, vcpuQuota: 43 }, nine), /need 18 vCPUs and 36 .* 54 exceeds .* of 43/);
    });

    it("fails the check, with the numbers, when the quota is too small", async () => {
        await assert.rejects(measure({ ...DEFAULT_ACCOUNT, vcpuQuota: 40 }), /need 6 vCPUs and 36 .* 42 exceeds .* of 40/);
    });

    it("does not count spot instances, non-standard families, or this stack's own running nodes", async () => {
        const account: SimulatedAccount = {
            ...DEFAULT_ACCOUNT,
            vcpuQuota: 16,
            running: [
                { id: "i-od", instanceType: "t3.xlarge" },
                { id: "i-spot", instanceType: "t3.2xlarge", spot: true },
                { id: "i-gpu", instanceType: "g5.xlarge" },
                { id: "i-ours", instanceType: "t3.medium", tags: { "managed-by": "redis-ha", stack: "dev", purpose: "auth" } },
                { id: "i-other-stack", instanceType: "t3.medium", tags: { "managed-by": "redis-ha", stack: "prod", purpose: "auth" } },
            ],
        };
        assert.deepStrictEqual(await measure(account), { plannedVcpus: 6, runningVcpus: 6, quotaVcpus: 16 });
    });
});
