import * as pulumi from "@pulumi/pulumi";
import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { readStore, storeCheckProvider, StoreCheckInputs, storeProblem } from "../../providers/secretStoreCheck";
import { labKubeconfig } from "../support/health";
import { PROJECT_DIR } from "../support/stacks";

describe("providers: the ExternalSecret's store check", () => {
    let api: http.Server;
    const stores = new Set<string>();
    const asked: string[] = [];
    before(async () => {
        // Answers as the API server does for external-secrets' stores: the object, or a NotFound Status.
        api = http.createServer((request, response) => {
            asked.push(request.url ?? "");
            response.setHeader("content-type", "application/json");
            const name = (request.url ?? "").split("/").pop()!;
            if (stores.has(request.url ?? "")) {
                response.end(JSON.stringify({ apiVersion: "external-secrets.io/v1", kind: "ClusterSecretStore", metadata: { name } }));
                return;
            }
            const plural = (request.url ?? "").split("/").slice(-2)[0];
            response.statusCode = 404;
            response.end(
                JSON.stringify({
                    kind: "Status",
                    apiVersion: "v1",
                    status: "Failure",
                    message: `${plural}.external-secrets.io "${name}" not found`,
                    reason: "NotFound",
                    code: 404,
                }),
            );
        });
        await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
    });
    after(() => new Promise((resolve) => api.close(resolve)));

    const kubeconfig = () => labKubeconfig(api);
    const inputs = (over: Partial<StoreCheckInputs> = {}): StoreCheckInputs => ({
        kind: "ClusterSecretStore",
        name: "aws-secrets-manager",
        namespace: "api",
        configKey: "redis-ha:appSecrets.externalSecrets[0].storeName",
        version: "v1",
        kubeconfig: kubeconfig(),
        ...over,
    });

    it("finds a ClusterSecretStore that exists, at its cluster-scoped path", async () => {
        stores.add("/apis/external-secrets.io/v1/clustersecretstores/aws-secrets-manager");
        asked.length = 0;
        assert.strictEqual(await storeProblem(inputs()), undefined);
        assert.deepStrictEqual(asked, ["/apis/external-secrets.io/v1/clustersecretstores/aws-secrets-manager"]);
    });

    it("refuses a store that does not exist, naming the key, the store and why it matters", async () => {
        assert.strictEqual(
            await storeProblem(inputs({ name: "aws-secret-manager" })),
            'redis-ha:appSecrets.externalSecrets[0].storeName: ClusterSecretStore "aws-secret-manager" does not exist ' +
                '(clustersecretstores.external-secrets.io "aws-secret-manager" not found); an ExternalSecret naming it never syncs. ' +
                "Create the store first, or name one that exists",
        );
    });

    it("looks a SecretStore up in the ExternalSecret's namespace", async () => {
        asked.length = 0;
        const problem = await storeProblem(inputs({ kind: "SecretStore", name: "vault", namespace: "worker" }));
        assert.deepStrictEqual(asked, ["/apis/external-secrets.io/v1/namespaces/worker/secretstores/vault"]);
        assert.match(problem!, /SecretStore "vault" in namespace worker does not exist/);
    });

    it("says the check could not run when the API server cannot be reached", async () => {
        const closed = await new Promise<number>((resolve) => {
            const probe = net.createServer().listen(0, "127.0.0.1", () => {
                const { port } = probe.address() as net.AddressInfo;
                probe.close(() => resolve(port));
            });
        });
        const problem = await storeProblem(
            inputs({ kubeconfig: kubeconfig().replace(/127\.0\.0\.1:\d+/, `127.0.0.1:${closed}`) }),
            readStore,
        );
        assert.match(
            problem!,
            /^redis-ha:appSecrets\.externalSecrets\[0\]\.storeName: ClusterSecretStore "aws-secrets-manager" could not be read \(.*ECONNREFUSED.*\)/,
        );
    });

    it("fails the provider's check (which preview runs) from Pulumi's serialized provider, in a fresh process", async () => {
        const serialized = await pulumi.runtime.serializeFunction(() => storeCheckProvider, { allowSecrets: false });
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "redis-ha-store-"));
        try {
            const file = path.join(dir, "provider.js");
            fs.writeFileSync(file, serialized.text);
            const run = (given: StoreCheckInputs) => {
                const script = `require(${JSON.stringify(file)}).${serialized.exportName}().check({}, ${JSON.stringify(given)})
                    .then((r) => console.log(JSON.stringify(r.failures ?? [])), (e) => { console.error(e.message); process.exit(1); });`;
                // Not spawnSync: this process serves the API meanwhile.
                const child = spawn(process.execPath, ["-e", script], {
                    env: { ...process.env, NODE_PATH: path.join(PROJECT_DIR, "node_modules"), NODE_OPTIONS: "" },
                });
                let out = "";
                child.stdout.on("data", (data) => (out += data));
                child.stderr.on("data", (data) => (out += data));
                return new Promise<string>((resolve) => child.once("close", () => resolve(out)));
            };
            assert.deepStrictEqual(JSON.parse(await run(inputs())), []);
            const failures = JSON.parse(await run(inputs({ name: "missing" }))) as Array<{ property: string; reason: string }>;
            assert.strictEqual(failures.length, 1);
            assert.strictEqual(failures[0].property, "name");
            assert.match(failures[0].reason, /ClusterSecretStore "missing" does not exist/);
            // A kubeconfig not known at preview is checked on up instead.
            assert.deepStrictEqual(
                JSON.parse(await run(inputs({ name: "missing", kubeconfig: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" }))),
                [],
            );
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
