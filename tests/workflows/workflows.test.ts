import * as assert from "assert";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { PROJECT_DIR } from "../support/stacks";

type Step = { uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string> };
type Job = {
    needs?: string | string[];
    "runs-on"?: string | string[];
    environment?: string;
    if?: string;
    steps: Step[];
    strategy?: { matrix?: { include?: Array<Record<string, string>> } };
};
type Workflow = { on: Record<string, { branches?: string[] }>; jobs: Record<string, Job> };

function workflow(file: string): Workflow {
    return yaml.load(fs.readFileSync(path.join(PROJECT_DIR, ".github", "workflows", file), "utf8")) as Workflow;
}

const pulumiSteps = (job: Job) => job.steps.filter((step) => step.uses?.startsWith("pulumi/actions@"));

describe("workflows", () => {
    describe("pull-request.yml", () => {
        const pr = workflow("pull-request.yml");

        it("runs on pull requests to main", () => {
            assert.deepStrictEqual(Object.keys(pr.on), ["pull_request"]);
            assert.deepStrictEqual(pr.on.pull_request.branches, ["main"]);
        });

        it("runs the full test tier after installing what the tests use and npm ci", () => {
            const runs = pr.jobs.test.steps.map((step) => step.run ?? "");
            const install = runs.indexOf("sudo bash .ci/system-packages");
            const ci = runs.indexOf("npm ci --ignore-scripts");
            const test = runs.indexOf("npm run test:all");
            assert.ok(install >= 0 && install < ci && ci < test, JSON.stringify(runs));
        });

        it("previews dev and prod with the policy pack, commenting on the PR, after the tests", () => {
            const preview = pr.jobs.preview;
            assert.strictEqual(preview.needs, "test");
            assert.deepStrictEqual(
                preview["runs-on"],
                ["self-hosted", "linux", "x64", "redis-ha-${{ matrix.stack }}"],
                "reaches the private API server",
            );
            assert.match(String(preview.if), /head\.repo\.full_name == github\.repository/, "never runs a fork's code on the runner");
            assert.deepStrictEqual(
                preview.strategy?.matrix?.include?.map((m) => m.stack),
                ["dev", "prod"],
            );
            assert.deepStrictEqual(
                preview.strategy?.matrix?.include?.map((m) => m.policyConfig),
                ["policy/dev.json", "policy/prod.json"],
            );
            const [step] = pulumiSteps(preview);
            assert.strictEqual(step.with?.command, "preview");
            assert.strictEqual(step.with?.["stack-name"], "${{ matrix.stack }}");
            assert.strictEqual(step.with?.["comment-on-pr"], true);
            assert.strictEqual(step.with?.policyPacks, "policy");
            assert.strictEqual(step.with?.policyPackConfigs, "${{ matrix.policyConfig }}");
            assert.match(String(step.env?.PULUMI_ACCESS_TOKEN), /secrets\.PULUMI_ACCESS_TOKEN/);
        });
    });

    describe("deploy.yml", () => {
        const deploy = workflow("deploy.yml");

        it("runs on pushes to main", () => {
            assert.deepStrictEqual(Object.keys(deploy.on), ["push"]);
            assert.deepStrictEqual(deploy.on.push.branches, ["main"]);
        });

        it("runs up for dev after the tests, then prod behind the protected production environment", () => {
            assert.strictEqual(deploy.jobs["up-dev"].needs, "test");
            assert.strictEqual(deploy.jobs["up-prod"].needs, "up-dev");
            assert.strictEqual(deploy.jobs["up-prod"].environment, "production");
            const dev = pulumiSteps(deploy.jobs["up-dev"])[0];
            const prod = pulumiSteps(deploy.jobs["up-prod"])[0];
            assert.deepStrictEqual([dev.with?.command, dev.with?.["stack-name"], dev.with?.policyPacks], ["up", "dev", "policy"]);
            assert.deepStrictEqual(
                [prod.with?.command, prod.with?.["stack-name"], prod.with?.policyPackConfigs],
                ["up", "prod", "policy/prod.json"],
            );
        });

        it("runs each up on a self-hosted runner inside its own cluster's VPC, the tests on a hosted one", () => {
            // up needs the control plane and nodes over SSH, and the private API server: a bastion carries only SSH.
            assert.deepStrictEqual(deploy.jobs["up-dev"]["runs-on"], ["self-hosted", "linux", "x64", "redis-ha-dev"]);
            assert.deepStrictEqual(deploy.jobs["up-prod"]["runs-on"], ["self-hosted", "linux", "x64", "redis-ha-prod"]);
            assert.strictEqual(deploy.jobs.test["runs-on"], "ubuntu-24.04");
        });

        it("names only policy config files that exist", () => {
            for (const file of ["policy/dev.json", "policy/prod.json"]) {
                assert.ok(JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, file), "utf8"))["redis-high-availability"]);
            }
        });
    });
});
