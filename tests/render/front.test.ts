import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    addressBookName,
    addressBookSpec,
    CONFIG_CHECKSUM_ANNOTATION,
    configChecksum,
    configMapName,
    frontConfigFiles,
    frontDeploymentSpec,
    frontDisruptionBudgetSpec,
    frontEndpoint,
    frontLabels,
    frontPodSpec,
    frontSelector,
    frontServiceSpec,
} from "../../render/front";
import { InstanceConfig, StackConfig } from "../../config/types";
import { parseStackConfigOrThrow } from "../../config/parse";
import { HAPROXY_CONFIG_DIR, HAPROXY_CONFIG_FILE, HAPROXY_GID, HAPROXY_UID } from "../../facts/haproxy";
import { frontConnectionLimits } from "../../front/haproxyConfig";
import { parseK8sMemoryBytes } from "../../facts/patterns";
import {
    componentPort,
    MASTER_NAME,
    MAX_FAILOVER_NAME_LENGTH,
    PART_OF_VALUE,
    podSelector,
    REDIS_PORT,
    SENTINEL_PORT,
} from "../../facts/operator";
import { dnsLabelProblem } from "../../facts/patterns";
import { MANAGED_BY_LABEL, PROJECT } from "../../facts/project";
import { stackConfig } from "../support/stacks";

const asSelector = (labels: Record<string, string>) =>
    Object.entries(labels)
        .map(([key, value]) => `${key}=${value}`)
        .sort()
        .join(",");
const sorted = (selector: string) => selector.split(",").sort().join(",");

/** The Debian haproxy the tests run, if installed. */
function haproxyBinary(): string | undefined {
    for (const candidate of ["/usr/sbin/haproxy", ...(process.env.PATH ?? "").split(":").map((dir) => path.join(dir, "haproxy"))]) {
        if (candidate && fs.existsSync(candidate)) return candidate;
    }
    return undefined;
}

describe("render: the front", () => {
    const stacks = { dev: parseStackConfigOrThrow(stackConfig("dev"), "dev"), prod: parseStackConfigOrThrow(stackConfig("prod"), "prod") };
    const auth = stacks.prod.instances.find((i) => i.purpose === "auth")!;
    const render = (config: StackConfig) => ({ namespace: config.namespace, placementLabel: config.placementLabel });

    describe("names and selectors", () => {
        it("the address books select the failover's pods by the operator's own labels", () => {
            for (const component of ["redis", "sentinel"] as const) {
                const spec = addressBookSpec("auth-redis", component);
                assert.strictEqual(asSelector(spec.selector), sorted(podSelector("auth-redis", component)));
                assert.strictEqual(spec.clusterIP, "None");
                assert.strictEqual(spec.publishNotReadyAddresses, true);
                assert.deepStrictEqual(
                    spec.ports.map((port) => port.port),
                    [componentPort(component)],
                );
            }
        });

        it("the front's pods are selected by labels no operator selector matches", () => {
            const front = frontSelector("auth-redis");
            assert.strictEqual(
                asSelector(front),
                sorted("app.kubernetes.io/component=front,app.kubernetes.io/name=auth-redis,app.kubernetes.io/part-of=redis-ha"),
            );
            assert.notStrictEqual(front["app.kubernetes.io/part-of"], PART_OF_VALUE);
            const labels = frontLabels(auth);
            assert.strictEqual(labels[MANAGED_BY_LABEL], PROJECT);
            assert.strictEqual(labels.purpose, "auth");
            for (const [key, value] of Object.entries(front)) assert.strictEqual(labels[key], value, "pods carry their selector");
        });

        it("every name fits a DNS label, even for the longest failover name", () => {
            const longest = "a".repeat(MAX_FAILOVER_NAME_LENGTH);
            const names = [
                addressBookName(longest, "redis"),
                addressBookName(longest, "sentinel"),
                configMapName(longest, "f".repeat(64)),
                "a".repeat(MAX_FAILOVER_NAME_LENGTH) + "-front",
            ];
            for (const name of names) assert.strictEqual(dnsLabelProblem(name), undefined, name);
            assert.strictEqual(addressBookName("auth-redis", "sentinel"), "auth-redis-front-sentinel");
            assert.strictEqual(frontEndpoint("auth-redis", "redis"), "auth-redis-front.redis.svc.cluster.local:6379");
        });
    });

    describe("haproxy.cfg", () => {
        it("finds the servers in the address books' DNS names, as many as the group has", () => {
            for (const [stack, count] of [
                ["prod", 3],
                ["dev", 1],
            ] as const) {
                const config = stacks[stack];
                const cfg = frontConfigFiles(config.instances[0], config.namespace)[HAPROXY_CONFIG_FILE];
                assert.ok(
                    cfg.includes(`server-template redis ${count} auth-redis-front-redis.redis.svc.cluster.local:${REDIS_PORT} `),
                    cfg,
                );
                assert.ok(
                    cfg.includes(`server-template sentinel ${count} auth-redis-front-sentinel.redis.svc.cluster.local:${SENTINEL_PORT} `),
                );
            }
        });

        it("binds the redis port, loads the gate from the mount, reads the password from the environment", () => {
            const files = frontConfigFiles(auth, "redis");
            const cfg = files[HAPROXY_CONFIG_FILE];
            assert.deepStrictEqual(Object.keys(files).sort(), ["haproxy.cfg", "masterGate.lua"]);
            assert.ok(cfg.includes(`bind 0.0.0.0:${REDIS_PORT}\n`));
            assert.ok(cfg.includes(`lua-load ${HAPROXY_CONFIG_DIR}/masterGate.lua\n`));
            assert.ok(cfg.includes("${REDIS_PASSWORD}"), "the password is taken from the environment");
            assert.ok(cfg.includes(MASTER_NAME), "the gate asks for the operator's master name");
        });

        it("a changed configuration changes the checksum, the ConfigMap's name and the pod template", () => {
            const files = frontConfigFiles(auth, "redis");
            const more = frontConfigFiles({ ...auth, redis: { ...auth.redis, replicas: 5 } }, "redis");
            const moved = frontConfigFiles(auth, "other");
            const checksums = [files, more, moved].map(configChecksum);
            assert.strictEqual(new Set(checksums).size, 3);
            assert.strictEqual(configChecksum(frontConfigFiles(auth, "redis")), checksums[0], "the same configuration, the same checksum");
            assert.match(checksums[0], /^[0-9a-f]{64}$/);
            const spec = frontDeploymentSpec(auth, render(stacks.prod), checksums[0]);
            assert.strictEqual(spec.template.metadata.annotations[CONFIG_CHECKSUM_ANNOTATION], checksums[0]);
            assert.strictEqual(spec.template.spec.volumes[0].configMap.name, configMapName("auth-redis", checksums[0]));
            assert.notStrictEqual(configMapName("auth-redis", checksums[0]), configMapName("auth-redis", checksums[1]));
        });
    });

    describe("the pods", () => {
        const spec = frontDeploymentSpec(auth, render(stacks.prod), "0".repeat(64));
        const pod = spec.template.spec;
        const container = pod.containers[0];

        it("never two on one node, on the purpose's nodes only", () => {
            assert.deepStrictEqual(pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution, [
                { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: frontSelector("auth-redis") } },
            ]);
            assert.deepStrictEqual(pod.nodeSelector, { "redis-cluster": "auth" });
            assert.strictEqual("tolerations" in pod, false, "untainted nodes need no tolerations");
            assert.deepStrictEqual(spec.selector.matchLabels, frontSelector("auth-redis"));
            assert.strictEqual(spec.replicas, 2);
        });

        it("tolerates the purpose's taint", () => {
            const tainted: InstanceConfig = { ...auth, taint: { key: "dedicated", value: "redis-auth", effect: "NoSchedule" } };
            assert.deepStrictEqual(frontPodSpec(tainted, render(stacks.prod), "cm").tolerations, [
                { key: "dedicated", operator: "Equal", value: "redis-auth", effect: "NoSchedule" },
            ]);
        });

        it("takes the password from the instance's Secret, never in clear", () => {
            assert.deepStrictEqual(container.env, [
                { name: "REDIS_PASSWORD", valueFrom: { secretKeyRef: { name: "auth-redis-auth", key: "password" } } },
            ]);
            assert.ok(!JSON.stringify(spec).includes('"value"'), "no literal env value anywhere");
        });

        it("runs the pinned image as its own non-root user, read-only, with the configuration mounted where it reads it", () => {
            assert.strictEqual(container.image, auth.front.image);
            assert.deepStrictEqual(pod.securityContext, {
                runAsNonRoot: true,
                runAsUser: HAPROXY_UID,
                runAsGroup: HAPROXY_GID,
                seccompProfile: { type: "RuntimeDefault" },
            });
            assert.deepStrictEqual(container.securityContext, {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ["ALL"] },
            });
            assert.deepStrictEqual(container.volumeMounts, [{ name: "config", mountPath: "/usr/local/etc/haproxy", readOnly: true }]);
            assert.strictEqual(pod.automountServiceAccountToken, false);
            assert.strictEqual("command" in container || "args" in container, false, "the image's own command reads the mount");
        });

        it("is ready while its gate serves a master, alive while HAProxy answers, small, and rolls without a surge pod", () => {
            assert.deepStrictEqual(container.readinessProbe.httpGet, { path: "/ready", port: "health" });
            assert.deepStrictEqual(container.livenessProbe.httpGet, { path: "/alive", port: "health" });
            const health = container.ports.find((port) => port.name === "health")!;
            const config = frontConfigFiles(auth, "redis")["haproxy.cfg"];
            // The probes reach the port HAProxy's monitor frontend binds, and its limits fit the container.
            assert.match(config, new RegExp(`frontend health\n    mode http\n    bind 0\\.0\\.0\\.0:${health.containerPort}\n`));
            const { maxconn, fdHardLimit } = frontConnectionLimits(parseK8sMemoryBytes(auth.front.resources.limits!.memory!)!);
            assert.match(config, new RegExp(`\n    maxconn ${maxconn}\n    fd-hard-limit ${fdHardLimit}\n`));
            assert.ok(container.ports.some((port) => port.name === "redis" && port.containerPort === REDIS_PORT));
            assert.deepStrictEqual(container.resources, auth.front.resources);
            assert.deepStrictEqual(spec.strategy.rollingUpdate, { maxSurge: 0, maxUnavailable: 1 });
        });

        it("a drain evicts at most one front pod at a time", () => {
            assert.deepStrictEqual(frontDisruptionBudgetSpec("auth-redis"), {
                maxUnavailable: 1,
                selector: { matchLabels: frontSelector("auth-redis") },
            });
        });

        it("the Service targets the container's port by name", () => {
            const service = frontServiceSpec("auth-redis");
            assert.strictEqual(service.type, "ClusterIP");
            assert.deepStrictEqual(service.selector, frontSelector("auth-redis"));
            assert.deepStrictEqual(service.ports, [{ name: "redis", port: REDIS_PORT, targetPort: container.ports[0].name }]);
            assert.strictEqual(container.ports[0].containerPort, REDIS_PORT);
        });
    });

    describe("against a real haproxy", function () {
        const haproxy = haproxyBinary();
        let dir: string;
        before(function () {
            if (!haproxy) {
                console.log("      skipped: haproxy is not installed (bash .ci/system-packages installs it)");
                this.skip();
            }
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "redis-ha-front-"));
        });
        after(() => {
            if (dir) fs.rmSync(dir, { recursive: true, force: true });
        });

        /** Writes the ConfigMap's files to `dir`, the mount point moved there, and runs `haproxy -c` on them. */
        function check(files: Record<string, string>) {
            for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
            const cfg = files[HAPROXY_CONFIG_FILE];
            assert.strictEqual(cfg.split(`${HAPROXY_CONFIG_DIR}/`).length, 2, "the mount point appears once, in lua-load");
            const file = path.join(dir, HAPROXY_CONFIG_FILE);
            fs.writeFileSync(file, cfg.replace(`${HAPROXY_CONFIG_DIR}/`, `${dir}/`));
            return spawnSync(haproxy!, ["-c", "-f", file], {
                encoding: "utf8",
                timeout: 10_000,
                env: { PATH: process.env.PATH ?? "", REDIS_PASSWORD: "s3cret" },
            });
        }

        for (const stack of ["dev", "prod"] as const) {
            it(`${stack}: haproxy -c accepts every instance's configuration and gate`, () => {
                for (const instance of stacks[stack].instances) {
                    const result = check(frontConfigFiles(instance, stacks[stack].namespace));
                    assert.strictEqual(result.status, 0, `${instance.name}: ${result.stdout}${result.stderr}`);
                    assert.match(result.stdout + result.stderr, /Configuration file is valid/);
                }
            });
        }

        it("and refuses one whose gate file is missing", () => {
            fs.rmSync(path.join(dir, "masterGate.lua"), { force: true });
            const result = check({ [HAPROXY_CONFIG_FILE]: frontConfigFiles(auth, "redis")[HAPROXY_CONFIG_FILE] });
            assert.notStrictEqual(result.status, 0, result.stdout + result.stderr);
            assert.match(result.stdout + result.stderr, /masterGate\.lua/);
        });
    });
});
