import * as assert from "assert";
import { buildRedisFailoverManifest } from "../../render/failover";
import { parseStackConfig, parseStackConfigOrThrow } from "../../config/parse";
import * as patterns from "../../facts/patterns";
import {
    Check,
    dataHoldingIsDurable,
    failoverHasAuth,
    highlyAvailableCounts,
    instanceIsHardened,
    noOpenIngress,
    policies,
    TYPES,
    versionsArePinned,
} from "../../policy/policies";
import { isPinnedImage } from "../../facts/patterns";
import { stackConfig, withSetting } from "../support/stacks";

const prod = parseStackConfigOrThrow(stackConfig("prod"));
const render = { namespace: "redis", placementLabel: "redis-cluster", exporterImage: prod.exporterImage };
const failover = (purpose: string) =>
    buildRedisFailoverManifest(
        prod.instances.find((i) => i.purpose === purpose)!,
        render,
    ) as unknown as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value));
/** A validation called directly with hand-made arguments. */
type Validation = (args: unknown, reportViolation: (message: string) => void) => void;

function violations(check: Check, type: string, props: Record<string, unknown>, config: Record<string, unknown> = {}): string[] {
    return check({ type, props }, config);
}

describe("policy pack", () => {
    it("has six mandatory policies with distinct names", () => {
        assert.strictEqual(new Set(policies.map((p) => p.name)).size, 6);
        assert.ok(policies.every((p) => p.enforcementLevel === "mandatory"));
    });

    it("runs a check through the pack's validateResource and reports each violation", () => {
        const reported: string[] = [];
        const auth = policies.find((p) => p.name === "redis-auth-required")!;
        const props = clone(failover("cache"));
        delete props.spec.auth;
        (auth.validateResource as Validation)(
            { type: TYPES.redisFailover, props, urn: "urn", name: "cache", opts: {}, getConfig: () => ({}) },
            (message: string) => reported.push(message),
        );
        assert.deepStrictEqual(reported, ["cache-redis has no auth.secretPath: anyone in the cluster can read and write it"]);
    });

    it("sends only resources of their classes to the AWS policies (validateResourceOfType)", () => {
        const ec2 = policies.find((p) => p.name === "ec2-hardened")!;
        assert.ok(Array.isArray(ec2.validateResource) && ec2.validateResource.length === 1);
        const run = (type: string) => {
            const reported: string[] = [];
            const skipped: string[] = [];
            const args = {
                type,
                props: { metadataOptions: { httpTokens: "optional" }, rootBlockDevice: { encrypted: true } },
                urn: "urn",
                name: "node",
                opts: {},
                getConfig: () => ({}),
                isType: (resourceClass: { __pulumiType?: string }) => resourceClass.__pulumiType === type,
                notApplicable: (reason: string) => skipped.push(reason),
            };
            (ec2.validateResource as Validation[])[0](args, (message: string) => reported.push(message));
            return { reported, skipped };
        };
        assert.deepStrictEqual(run(TYPES.instance).reported, ["IMDSv2 is not required (metadataOptions.httpTokens must be required)"]);
        assert.deepStrictEqual(run(TYPES.securityGroup), {
            reported: [],
            skipped: [`Policy only applies to resources of type '${TYPES.instance}'`],
        });
    });

    describe("redis-data-holding-durable", () => {
        it("passes the rendered auth instance", () => {
            assert.deepStrictEqual(violations(dataHoldingIsDurable, TYPES.redisFailover, failover("auth")), []);
        });
        it("fails auth turned allkeys-lru, without AOF or without a PVC", () => {
            const lru = clone(failover("auth"));
            lru.spec.redis.customConfig = ["maxmemory 256mb", "maxmemory-policy allkeys-lru", "appendonly yes"];
            assert.match(violations(dataHoldingIsDurable, TYPES.redisFailover, lru)[0], /auth-redis holds data but is not noeviction/);
            const noAof = clone(failover("auth"));
            noAof.spec.redis.customConfig = ["maxmemory-policy noeviction", "appendonly no"];
            assert.deepStrictEqual(violations(dataHoldingIsDurable, TYPES.redisFailover, noAof), ["auth-redis holds data but has no AOF"]);
            const noPvc = clone(failover("auth"));
            noPvc.spec.redis.storage = { emptyDir: {} };
            assert.deepStrictEqual(violations(dataHoldingIsDurable, TYPES.redisFailover, noPvc), [
                "auth-redis holds data but has no persistentVolumeClaim",
            ]);
        });
        it("leaves instances that hold no data alone", () => {
            assert.deepStrictEqual(violations(dataHoldingIsDurable, TYPES.redisFailover, failover("cache")), []);
        });
    });

    describe("redis-high-availability", () => {
        it("passes 3/3 and is off unless configured", () => {
            assert.deepStrictEqual(
                violations(highlyAvailableCounts, TYPES.redisFailover, failover("streams"), { highAvailability: true }),
                [],
            );
            const one = clone(failover("streams"));
            one.spec.sentinel.replicas = 1;
            assert.deepStrictEqual(violations(highlyAvailableCounts, TYPES.redisFailover, one, {}), []);
        });
        it("fails even or fewer than 3 sentinels, and fewer than 3 redis", () => {
            const bad = clone(failover("streams"));
            bad.spec.sentinel.replicas = 4;
            bad.spec.redis.replicas = 2;
            assert.deepStrictEqual(violations(highlyAvailableCounts, TYPES.redisFailover, bad, { highAvailability: true }), [
                "streams-redis has 4 sentinels; need an odd number, at least 3",
                "streams-redis has 2 redis; need at least 3 (1 master + 2 replicas)",
            ]);
        });
    });

    describe("redis-auth-required", () => {
        it("passes with auth, fails without", () => {
            assert.deepStrictEqual(violations(failoverHasAuth, TYPES.redisFailover, failover("cache")), []);
            const none = clone(failover("cache"));
            none.spec.auth = {};
            assert.strictEqual(violations(failoverHasAuth, TYPES.redisFailover, none).length, 1);
        });
    });

    describe("ec2-hardened", () => {
        const good = { metadataOptions: { httpTokens: "required" }, rootBlockDevice: { encrypted: true }, ebsBlockDevices: [] };
        it("passes IMDSv2 with encrypted volumes", () => {
            assert.deepStrictEqual(violations(instanceIsHardened, TYPES.instance, good), []);
        });
        it("fails IMDSv1 and unencrypted volumes", () => {
            assert.deepStrictEqual(
                violations(instanceIsHardened, TYPES.instance, {
                    metadataOptions: { httpTokens: "optional" },
                    rootBlockDevice: {},
                    ebsBlockDevices: [{ deviceName: "/dev/sdf", encrypted: false }],
                }),
                [
                    "IMDSv2 is not required (metadataOptions.httpTokens must be required)",
                    "the root volume is not encrypted",
                    "EBS volume /dev/sdf is not encrypted",
                ],
            );
        });
    });

    describe("no-open-ingress", () => {
        it("passes group-sourced rules and open egress", () => {
            const sg = {
                ingress: [{ protocol: "tcp", fromPort: 10250, toPort: 10250, securityGroups: ["sg-1"] }],
                egress: [{ cidrBlocks: ["0.0.0.0/0"] }],
            };
            assert.deepStrictEqual(violations(noOpenIngress, TYPES.securityGroup, sg), []);
            assert.deepStrictEqual(violations(noOpenIngress, TYPES.securityGroupRule, { type: "egress", cidrBlocks: ["0.0.0.0/0"] }), []);
        });
        it("fails ingress from 0.0.0.0/0 or ::/0 in any form", () => {
            assert.strictEqual(
                violations(noOpenIngress, TYPES.securityGroup, {
                    ingress: [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] }],
                }).length,
                1,
            );
            assert.strictEqual(
                violations(noOpenIngress, TYPES.securityGroup, {
                    ingress: [{ protocol: "tcp", fromPort: 22, toPort: 22, ipv6CidrBlocks: ["::/0"] }],
                }).length,
                1,
            );
            assert.strictEqual(
                violations(noOpenIngress, TYPES.securityGroupRule, {
                    type: "ingress",
                    protocol: "tcp",
                    fromPort: 6379,
                    cidrBlocks: ["0.0.0.0/0"],
                }).length,
                1,
            );
            assert.strictEqual(
                violations(noOpenIngress, TYPES.ingressRule, { ipProtocol: "tcp", fromPort: 6379, cidrIpv4: "0.0.0.0/0" }).length,
                1,
            );
        });
    });

    describe("pinned-versions", () => {
        const release = {
            chart: "redis-operator",
            version: "3.3.0",
            values: { image: { repository: "quay.io/spotahome/redis-operator", tag: "v1.3.0" } },
        };
        it("passes the pinned chart and images", () => {
            assert.deepStrictEqual(violations(versionsArePinned, TYPES.helmRelease, release), []);
            assert.deepStrictEqual(violations(versionsArePinned, TYPES.redisFailover, failover("auth")), []);
        });
        it("fails a chart without exact version, latest tags and untagged images", () => {
            assert.strictEqual(violations(versionsArePinned, TYPES.helmRelease, { ...release, version: "^3.3" }).length, 1);
            assert.strictEqual(
                violations(versionsArePinned, TYPES.helmRelease, { ...release, values: { image: { tag: "latest" } } }).length,
                1,
            );
            const latest = clone(failover("auth"));
            latest.spec.redis.exporter.image = "oliver006/redis_exporter:latest";
            latest.spec.redis.image = "redis";
            assert.strictEqual(violations(versionsArePinned, TYPES.redisFailover, latest).length, 2);
        });
        it("pins images with the same function as config", () => {
            assert.strictEqual(isPinnedImage, patterns.isPinnedImage);
            for (const image of ["Redis:7.2", "redis:7.2;id", "registry:5000/redis", `redis@sha256:${"a".repeat(63)}`]) {
                const config = parseStackConfig(withSetting(stackConfig("dev"), "redis-ha:exporterImage", [], image));
                assert.ok(!isPinnedImage(image) && config.issues.some((i) => i.key === "redis-ha:exporterImage"), image);
            }
            const release = {
                chart: "redis-operator",
                version: "3.3.0",
                values: { image: { repository: "quay.io/spotahome/redis-operator", tag: "v1;id" } },
            };
            assert.match(violations(versionsArePinned, TYPES.helmRelease, release)[0], /not an image tag/);
        });
        it("knows a pinned image", () => {
            assert.ok(isPinnedImage("oliver006/redis_exporter:v1.62.0"));
            assert.ok(isPinnedImage(`redis@sha256:${"a".repeat(64)}`));
            assert.ok(isPinnedImage("registry:5000/redis:7.2"));
            assert.ok(!isPinnedImage("registry:5000/redis"));
            assert.ok(!isPinnedImage("redis:latest"));
        });
    });
});
