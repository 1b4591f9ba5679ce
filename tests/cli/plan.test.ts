import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PASSWORD_PLACEHOLDER, SECRET_MASK } from "../../plan/mockRuntime";
import { ENCRYPTED_PLACEHOLDER, stackConfigFromDocument } from "../../config/stackFile";
import { planStack } from "../../plan/planStack";
import { memoized } from "../support/run";
import { PROJECT_DIR } from "../support/stacks";

const plan = memoized("cli/plan.ts");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "redis-ha-plan-"));
const devFile = fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), "utf8");
const prodFile = fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.prod.yaml"), "utf8");

/** Writes a stack file under the test folder and returns its path. */
function stackFile(name: string, text: string): string {
    const file = path.join(dir, `Pulumi.${name}.yaml`);
    fs.writeFileSync(file, text);
    return file;
}

// prod with two auth nodes: a highly available stack needs three per purpose.
const thinFile = stackFile("thin", prodFile.replace("      - { instanceType: t3.medium, subnetId: subnet-0f3c4d5e6f7081923 }\n", ""));
const brokenFile = stackFile(
    "broken",
    devFile
        .replace("maxmemoryPolicy: allkeys-lru", "maxmemoryPolicy: lru")
        .replace(
            "maxmemory: 256mb\n        maxmemoryPolicy: noeviction\n        appendonly: true",
            "maxmemory: 500mb\n        maxmemoryPolicy: noeviction\n        appendonly: true",
        )
        .replace("instance: cache, db: 6", "instance: images, db: 6"),
);
const secretFile = stackFile("secret", `${prodFile}  redis-ha:kubeconfig:\n    secure: v1:ENCRYPTEDKUBECONFIG\n`);
const jsonOut = path.join(dir, "plan.json");

/** Every run the tests below assert on, started at once: they are independent processes. */
const RUNS = [
    ["--stack", "dev"],
    ["--stack", "dev", "--vcpu-quota", "41"],
    ["--stack", "broken", "--config-file", brokenFile],
    ["--stack", "prod", "--config-file", secretFile, "--json", jsonOut],
    [],
    ["--stack", "nosuchstack"],
];

describe("tools: plan", () => {
    describe("stack files", () => {
        it("turns a stack file into the config map Pulumi would pass", () => {
            const { config, secretKeys } = stackConfigFromDocument(
                {
                    config: {
                        "redis-ha:highlyAvailable": true,
                        "redis-ha:namespace": "redis",
                        "redis-ha:instances": { auth: { redis: { replicas: 3 } } },
                        "redis-ha:kubeconfig": { secure: "AAABAG..." },
                        exporterImage: "oliver006/redis_exporter:v1.62.0",
                        "aws:region": "ap-northeast-2",
                    },
                },
                "redis-ha",
            );
            assert.deepStrictEqual(config, {
                "redis-ha:highlyAvailable": "true",
                "redis-ha:namespace": "redis",
                "redis-ha:instances": '{"auth":{"redis":{"replicas":3}}}',
                "redis-ha:kubeconfig": ENCRYPTED_PLACEHOLDER,
                "redis-ha:exporterImage": "oliver006/redis_exporter:v1.62.0",
                "aws:region": "ap-northeast-2",
            });
            assert.deepStrictEqual(secretKeys, ["redis-ha:kubeconfig"]);
        });
    });

    describe("command line", function () {
        this.timeout(60_000);
        before(() => {
            RUNS.forEach((args) => void plan(...args));
        });
        after(() => fs.rmSync(dir, { recursive: true, force: true }));

        it("prints the dev plan: CRD, one operator release, three RedisFailovers, masked appEnv, wall time", async () => {
            const { code, stdout, stderr } = await plan("--stack", "dev");
            assert.strictEqual(code, 0, stderr);
            assert.strictEqual(stdout.match(/kubernetes:yaml\/v2:ConfigFile {2}redis-operator-crd/g)?.length, 1);
            assert.strictEqual(stdout.match(/kubernetes:helm\.sh\/v3:Release {2}/g)?.length, 1);
            assert.strictEqual(stdout.match(/kubernetes:databases\.spotahome\.com\/v1:RedisFailover {2}/g)?.length, 3);
            assert.match(
                stdout,
                /name=auth-redis sentinels=1 redis=1 storage=pvc gp3 1Gi .*"maxmemory-policy noeviction","appendonly yes"/,
            );
            assert.match(stdout, /name=cache-redis .*"maxmemory 512mb","maxmemory-policy allkeys-lru"/);
            assert.match(stdout, /waits for: redis-operator-crd, redis-operator-release/);
            assert.match(stdout, new RegExp(`appEnv.IMAGE_REDIS_URL = \\${SECRET_MASK.slice(0, -1)}\\]`));
            assert.match(stdout, /Wall time: \d+\.\d+ s/);
            assert.ok(!stdout.includes(PASSWORD_PLACEHOLDER));
        });

        it("shows the three dev nodes with their commands, and prod's instance types", async () => {
            const dev = await plan("--stack", "dev");
            assert.strictEqual(dev.code, 0, dev.stderr);
            for (const [purpose, type] of [
                ["auth", "t3.medium"],
                ["streams", "t3.small"],
                ["cache", "t3.small"],
            ]) {
                assert.match(
                    dev.stdout,
                    new RegExp(`aws:ec2/instance:Instance  ${purpose}-node-instance\\n\\s+type=${type.replace(".", "\\.")} `),
                );
                // The join runs over SSH or where `pulumi up` runs: components/redisNode.ts decides.
                for (const step of ["prepare", "reset", "removal", "join", "ready"]) {
                    assert.match(dev.stdout, new RegExp(`command:(remote|local):Command  ${purpose}-node-${step}\\n`));
                }
            }
            assert.match(dev.stdout, /create=scripts\/label-node.sh \(NODE_NAME='k8s-redis-auth[^']*' .*NODE_LABEL='redis-cluster=auth'/);
            assert.match(dev.stdout, /aws:secretsmanager\/secretVersion:SecretVersion {2}app-env-version\n\s+value=\[secret\]/);
            assert.match(dev.stdout, /kubernetes:external-secrets.io\/v1:ExternalSecret {2}app-env-api-api-redis-env/);
            assert.match(
                dev.stdout,
                /app-env-secret\n\s+name=redis-ha\/dev\/app-env kms=aws\/secretsmanager recovery=none \(deleted at once\)/,
            );
            assert.match(dev.stdout, /image=quay.io\/spotahome\/redis-operator:v1.3.0-rc1 /);
            assert.match(dev.stdout, /vcpuQuota.plannedVcpus = 6\n {2}vcpuQuota.runningVcpus = 36\n {2}vcpuQuota.quotaVcpus = 64/);
            // prod's plan, with an encrypted kubeconfig added (the --json test below reads its file).
            const prod = await plan("--stack", "prod", "--config-file", secretFile, "--json", jsonOut);
            assert.strictEqual(prod.code, 0, prod.stderr);
            assert.match(prod.stdout, /app-env-secret\n\s+name=redis-ha\/prod\/app-env kms=aws\/secretsmanager recovery=7 days/);
            assert.deepStrictEqual(
                [...prod.stdout.matchAll(/aws:ec2\/instance:Instance {2}\w+-node(?:-\d)?-instance\n\s+type=(\S+)/g)].map((m) => m[1]),
                ["t3.medium", "t3.medium", "t3.medium", "t3.small", "t3.small", "t3.small", "t3.small", "t3.small", "t3.small"],
            );
        });

        it("fails the plan when the nodes exceed the vCPU quota, naming the numbers", async () => {
            const { code, stdout, stderr } = await plan("--stack", "dev", "--vcpu-quota", "41");
            assert.strictEqual(code, 1);
            assert.strictEqual(stdout, "");
            assert.match(
                stderr,
                /need 6 vCPUs and 36 On-Demand vCPUs are already running; 42 exceeds the Standard On-Demand vCPU quota \(L-1216C47A\) of 41/,
            );
        });

        it("fails on invalid config with every problem, naming each key, and plans nothing", async () => {
            const { code, stdout, stderr } = await plan("--stack", "broken", "--config-file", brokenFile);
            assert.strictEqual(code, 1);
            assert.strictEqual(stdout, "");
            assert.match(stderr, /redis-ha:instances\.cache\.redis\.maxmemoryPolicy: must be one of/);
            assert.match(stderr, /redis-ha:instances\.auth\.redis\.maxmemory: 500mb .* exceeds 75%/);
            assert.match(stderr, /redis-ha:appEnv\[4\]\.instance: names no instance/);
        });

        it("fails a highly available stack with fewer than 3 nodes for a purpose, naming the key, and plans nothing", async () => {
            assert.ok(!fs.readFileSync(thinFile, "utf8").includes("subnet-0f3c4d5e6f7081923 }\n    streams"), "one auth node less");
            // In process: the command's output for invalid config is the test above.
            const result = await planStack("thin", thinFile);
            assert.ok(!result.ok);
            assert.match(
                result.problems.join("\n"),
                /redis-ha:nodes\.auth: a highly available stack needs at least 3 nodes per purpose .* got 2/,
            );
        });

        it("writes a --json plan with urn, type, name, parent and masked inputs, and no secret in clear", async () => {
            const { code, stderr } = await plan("--stack", "prod", "--config-file", secretFile, "--json", jsonOut);
            assert.strictEqual(code, 0, stderr);
            const text = fs.readFileSync(jsonOut, "utf8");
            const document = JSON.parse(text);
            assert.strictEqual(document.stack, "prod");
            for (const resource of document.resources) {
                assert.deepStrictEqual(Object.keys(resource), ["urn", "type", "name", "parent", "inputs"]);
            }
            const provider = document.resources.find((r: { type: string }) => r.type === "pulumi:providers:kubernetes");
            assert.strictEqual(provider.inputs.kubeconfig, SECRET_MASK);
            assert.strictEqual(document.outputs.appEnv.AUTH_REDIS_BLACKLIST_URL, SECRET_MASK);
            for (const leak of [PASSWORD_PLACEHOLDER, ENCRYPTED_PLACEHOLDER, "redis://", "PRIVATE KEY"]) {
                assert.ok(!text.includes(leak), `plan.json contains ${leak}`);
            }
            const failovers = document.resources.filter(
                (r: { type: string }) => r.type === "kubernetes:databases.spotahome.com/v1:RedisFailover",
            );
            assert.deepStrictEqual(
                failovers.map((f: { inputs: { spec: { sentinel: { replicas: number } } } }) => f.inputs.spec.sentinel.replicas),
                [3, 3, 3],
            );
        });

        it("exits 2 without --stack (unknown flags: tests/cli/command.test.ts)", async () => {
            const { code, stderr } = await plan();
            assert.strictEqual(code, 2);
            assert.match(stderr, /--stack NAME is required/);
        });

        it("exits 1 for a stack without a stack file", async () => {
            const { code, stderr } = await plan("--stack", "nosuchstack");
            assert.strictEqual(code, 1);
            assert.match(stderr, /no stack file .*Pulumi\.nosuchstack\.yaml/);
        });
    });
});
