// The purpose-built instances: one RedisFailover per `instances.<purpose>`.

import { z } from "zod";
import { HAPROXY_IMAGE } from "../../facts/haproxy";
import { MAX_FAILOVER_NAME_LENGTH } from "../../facts/operator";
import {
    ACCESS_MODES,
    dnsLabelProblem,
    dnsSubdomainProblem,
    imageReferenceProblem,
    parseQuantity,
    parseRedisBytes,
    quantityProblem,
    redisMaxmemoryProblem,
} from "../../facts/patterns";
import { bootstrapFromSchema } from "./bootstrap";
import { OPERATOR_DEFAULT_REDIS_IMAGE, redisImageProblem } from "../../facts/redisVersions";
import { redisDirectiveProblem, sentinelDirectiveProblem } from "./directives";
import { ALWAYS, field, grammar, int, labelKey, labelValue, resourcesSchema, strict, TAINT_EFFECTS } from "./common";

/** Redis's eight `maxmemory-policy` values. */
export const MAXMEMORY_POLICIES = [
    "noeviction",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
] as const;

/** The phases of a password rotation, in order (render/passwordRotation.ts says what each does). */
export const ROTATION_PHASES = ["accept", "replicate", "apps", "retire"] as const;

/** The share of the redis container's memory limit that `maxmemory` may use; fork and buffers need the rest. */
export const MAXMEMORY_LIMIT_RATIO = 0.75;

/** Free-form directives, each checked by its grammar; the list defaults to empty. */
function directives(problem: (line: string) => string | undefined) {
    return z
        .array(z.string())
        .superRefine((lines, ctx) =>
            lines.forEach((line, index) => {
                const why = problem(line);
                if (why) ctx.addIssue({ code: "custom", path: [index], message: `${JSON.stringify(line)} ${why}` });
            }),
        )
        .default([]);
}

/** The AOF's fsync policy when config does not say (`redis.appendfsync`). */
export const REDIS_DEFAULT_APPENDFSYNC = "everysec";

/**
 * `min-replicas-max-lag` when config does not say. 3 rather than Redis's 10: in the partition drill
 * (BENCHMARKS.md, section 3) a cut-off master kept acknowledging writes, all lost, for about the lag
 * (10.2-11.8 s at 10, 3.1 s at 3); replicas acknowledge every second.
 */
export const REDIS_DEFAULT_MIN_REPLICAS_MAX_LAG = 3;

/** `min-replicas-to-write` when config does not say: a data-holding instance of an HA stack acknowledges a write only with a replica in sync. */
export const defaultMinReplicasToWrite = (highlyAvailable: boolean, holdsData: boolean) => (highlyAvailable && holdsData ? 1 : 0);

/** Sentinel's `down-after-milliseconds` when config does not say. */
export const SENTINEL_DEFAULT_DOWN_AFTER_MS = 5000;

const sentinelSchema = strict({
    replicas: int(1).superRefine((replicas, ctx) => {
        // A majority of an even group is no more tolerant than the odd group below it.
        if (replicas !== 1 && (replicas < 3 || replicas % 2 === 0)) {
            ctx.addIssue({
                code: "custom",
                message: `must be 1 (non-HA stacks only) or odd and at least 3, so a majority can agree; got ${replicas}`,
            });
        }
    }),
    resources: resourcesSchema.optional(),
    downAfterMilliseconds: int(100).default(SENTINEL_DEFAULT_DOWN_AFTER_MS),
    failoverTimeout: int(1000).default(10000),
    customConfig: directives((line) => sentinelDirectiveProblem(line)),
});

const pvcSchema = strict({
    size: grammar((size) => quantityProblem(size, "storage"), "persistent storage needs a size (e.g. 1Gi)"),
    storageClass: grammar(dnsSubdomainProblem, "persistent storage needs a storage class (e.g. gp3)"),
    accessModes: z.array(z.enum(ACCESS_MODES)).min(1, "needs at least one access mode").default(["ReadWriteOnce"]),
});

/** `emptyDir: {}` or `persistentVolumeClaim`; `keepAfterDeletion` defaults to protectData (filled in by the stack). */
const storageSchema = strict({
    emptyDir: strict({}).optional(),
    persistentVolumeClaim: pvcSchema.optional(),
    keepAfterDeletion: z.boolean().optional(),
})
    .superRefine((storage, ctx) => {
        const [emptyDir, pvc] = [field(storage, "emptyDir"), field(storage, "persistentVolumeClaim")];
        if (emptyDir !== undefined && pvc !== undefined) {
            ctx.addIssue({ code: "custom", message: "sets both emptyDir and persistentVolumeClaim; choose one" });
        } else if (pvc === undefined && field(storage, "keepAfterDeletion") !== undefined) {
            ctx.addIssue({ code: "custom", path: ["keepAfterDeletion"], message: "only applies to persistentVolumeClaim storage" });
        }
    }, ALWAYS)
    .transform((storage) =>
        storage.persistentVolumeClaim
            ? { kind: "persistentVolumeClaim" as const, ...storage.persistentVolumeClaim, keepAfterDeletion: storage.keepAfterDeletion }
            : { kind: "emptyDir" as const },
    )
    .prefault({});

const redisSchema = strict({
    replicas: int(1),
    // The redis image (the operator's own default when unset); a change rolls the group in the
    // operator's update order, and a downgrade its files cannot survive is refused at preview.
    image: grammar((image) => imageReferenceProblem(image) ?? redisImageProblem(image)).default(OPERATOR_DEFAULT_REDIS_IMAGE),
    resources: resourcesSchema.optional().superRefine((resources, ctx) => {
        if (resources === undefined)
            ctx.addIssue({ code: "custom", message: "redis needs resources.limits.memory, which bounds maxmemory" });
        else if (field(resources, "limits", "memory") === undefined) {
            ctx.addIssue({ code: "custom", path: ["limits", "memory"], message: "redis needs a memory limit, which bounds maxmemory" });
        }
    }, ALWAYS),
    maxmemory: z
        .union([z.string(), z.number()], { error: () => "must be a Redis memory size (e.g. 256mb) or a number of bytes" })
        .superRefine((value, ctx) => {
            const why = redisMaxmemoryProblem(value);
            if (why) ctx.addIssue({ code: "custom", message: `${JSON.stringify(value)} ${why}` });
        }),
    maxmemoryPolicy: z.enum(MAXMEMORY_POLICIES),
    appendonly: z.boolean().default(false),
    // fsync policy of the AOF, from start-up (the command line): at most a second of writes lost to a
    // kernel or power failure with everysec, none with always. Only where AOF is on (the instance
    // refuses it elsewhere, so it is optional here; REDIS_DEFAULT_APPENDFSYNC when not given).
    appendfsync: z.enum(["everysec", "always"]).optional(),
    storage: storageSchema,
    customConfig: directives((line) => redisDirectiveProblem(line)),
    exporter: z.boolean().default(true),
    // Writes the master refuses unless this many replicas are connected and in sync; defaults (in
    // the stack) to 1 for data-holding instances of highly available stacks, 0 (off) elsewhere.
    minReplicasToWrite: int(0).optional(),
    // Seconds since a replica's last acknowledgement for it to count; only read while
    // minReplicasToWrite is at least 1 (crossRules refuses it elsewhere, so it is optional here;
    // REDIS_DEFAULT_MIN_REPLICAS_MAX_LAG, filled in by the stack, when not given).
    minReplicasMaxLag: int(1, 3600).optional(),
})
    .superRefine((redis, ctx) => {
        const [toWrite, replicas] = [field(redis, "minReplicasToWrite"), field(redis, "replicas")];
        if (Number.isInteger(toWrite) && Number.isInteger(replicas) && (toWrite as number) > (replicas as number) - 1)
            ctx.addIssue({
                code: "custom",
                path: ["minReplicasToWrite"],
                message:
                    `${toWrite} is more than the ${(replicas as number) - 1} replica(s) of ${replicas} redis (replicas - 1): ` +
                    `the master would refuse every write`,
            });
        const [maxmemory, limit] = [field(redis, "maxmemory"), field(redis, "resources", "limits", "memory")];
        const valid = (typeof maxmemory === "number" || typeof maxmemory === "string") && !redisMaxmemoryProblem(maxmemory);
        const bytes = !valid ? undefined : typeof maxmemory === "number" ? maxmemory : parseRedisBytes(maxmemory);
        const limitBytes = typeof limit === "string" && !quantityProblem(limit, "memory") ? parseQuantity(limit) : undefined;
        if (bytes !== undefined && limitBytes !== undefined && bytes > limitBytes * MAXMEMORY_LIMIT_RATIO) {
            ctx.addIssue({
                code: "custom",
                path: ["maxmemory"],
                message:
                    `${maxmemory} (${formatBytes(bytes)}) exceeds ${MAXMEMORY_LIMIT_RATIO * 100}% of the memory limit ${limit} ` +
                    `(${formatBytes(limitBytes * MAXMEMORY_LIMIT_RATIO)}); fork and replication buffers need the rest`,
            });
        }
    }, ALWAYS)
    .transform(({ resources, maxmemory, ...redis }) => ({
        ...redis,
        resources: resources!, // present: checked above
        maxmemory: String(maxmemory),
        maxmemoryBytes: typeof maxmemory === "number" ? maxmemory : parseRedisBytes(maxmemory)!,
    }));

/** Front replicas when config does not say; a highly available stack needs at least 2 (config/schema/stack.ts). */
export const FRONT_DEFAULT_REPLICAS = 2;

/**
 * The front (render/front.ts): HAProxy that serves only the master. Its checks, its gate
 * and the connections of an idle pool cost little; the memory limit bounds buffers of busy clients.
 */
const frontSchema = strict({
    enabled: z.boolean().default(true),
    replicas: int(1).default(FRONT_DEFAULT_REPLICAS),
    image: grammar(imageReferenceProblem).default(HAPROXY_IMAGE),
    resources: resourcesSchema.default({ requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "128Mi" } }),
}).prefault({});

const taintSchema = strict({
    key: labelKey(),
    value: labelValue().default(""),
    effect: z.enum(TAINT_EFFECTS),
});

/** A RedisFailover name: a DNS-1123 label the operator accepts (`validate.go`, `maxNameLength`). */
function failoverNameProblem(name: string): string | undefined {
    const why = dnsLabelProblem(name);
    if (why || name.length <= MAX_FAILOVER_NAME_LENGTH) return why;
    return `has ${name.length} characters; the operator accepts at most ${MAX_FAILOVER_NAME_LENGTH}`;
}

const instanceSchema = strict({
    name: grammar(failoverNameProblem).optional(),
    sentinel: sentinelSchema.optional().superRefine((sentinel, ctx) => {
        if (sentinel === undefined) ctx.addIssue({ code: "custom", message: "is required (at least sentinel.replicas)" });
    }),
    redis: redisSchema.optional().superRefine((redis, ctx) => {
        if (redis === undefined) ctx.addIssue({ code: "custom", message: "is required" });
    }),
    taint: taintSchema.optional(),
    front: frontSchema,
    // Data that must never be lost; defaults to "has a PVC".
    holdsData: z.boolean().optional(),
    // Moving a Redis in: the group replicates it until the cut-over (README "Moving a Redis in").
    bootstrapFrom: bootstrapFromSchema,
    // The generated password in use (render/passwordRotation.ts); a rotation moves to the next one in phases.
    passwordVersion: int(1).default(1),
    passwordRotation: z.enum(ROTATION_PHASES).optional(),
})
    .superRefine((instance, ctx) => {
        if (typeof field(instance, "redis") !== "object") return;
        const storage = field(instance, "redis", "storage");
        // A storage that failed its own checks is still read for whether it asks for a claim.
        const hasPvc = field(storage, "kind") === "persistentVolumeClaim" || field(storage, "persistentVolumeClaim") !== undefined;
        const given = field(instance, "holdsData");
        const holdsData = given === undefined ? hasPvc : given === true;
        const problem = (path: Array<string | number>, message: string) =>
            ctx.addIssue({ code: "custom", path: ["redis", ...path], message });
        // A data-holding instance always runs with AOF (render/redisConfig.ts).
        const aof = holdsData || field(instance, "redis", "appendonly") === true;
        const fsync = field(instance, "redis", "appendfsync");
        if (!aof && fsync !== undefined)
            problem(
                ["appendfsync"],
                `${JSON.stringify(fsync)} does nothing here: this instance runs without AOF (redis.appendonly is false and it ` +
                    `holds no data), so Redis never reads it; set redis.appendonly: true, or remove it`,
            );
        const lines = field(instance, "redis", "customConfig");
        (Array.isArray(lines) ? lines : []).forEach((line, index) => {
            const why = typeof line === "string" && !redisDirectiveProblem(line) ? redisDirectiveProblem(line, aof) : undefined;
            if (why) problem(["customConfig", index], `${JSON.stringify(line)} ${why}`);
        });
        if (!holdsData) return;
        // Nothing evicted, every write logged, a volume that outlives the pod.
        const policy = field(instance, "redis", "maxmemoryPolicy");
        if (MAXMEMORY_POLICIES.includes(policy as never) && policy !== "noeviction")
            problem(["maxmemoryPolicy"], `a data-holding instance must be noeviction, got ${policy}`);
        if (field(instance, "redis", "appendonly") === false) problem(["appendonly"], "a data-holding instance must have AOF on");
        if (storage !== undefined && !hasPvc && field(storage, "kind") === "emptyDir")
            problem(["storage"], "a data-holding instance must use a persistentVolumeClaim");
    }, ALWAYS)
    .transform(({ sentinel, redis, holdsData, ...instance }) => ({
        ...instance,
        sentinel: sentinel!, // present: checked above
        redis: { ...redis!, appendfsync: redis!.appendfsync ?? REDIS_DEFAULT_APPENDFSYNC },
        holdsData: holdsData ?? redis!.storage.kind === "persistentVolumeClaim",
    }));

/** `instances.<purpose>`, in config order, each with its purpose and name (default `<purpose>-redis`). */
export const instancesSchema = z
    .record(z.string(), instanceSchema, {
        error: (issue) => (issue.input === undefined ? "is required: at least one instance" : undefined),
    })
    .superRefine((instances, ctx) => {
        if (instances === null || typeof instances !== "object") return;
        if (Object.keys(instances).length === 0) ctx.addIssue({ code: "custom", message: "is empty: define at least one instance" });
        const names = new Map<string, string>();
        for (const [purpose, instance] of Object.entries(instances)) {
            const keyProblem = dnsLabelProblem(purpose);
            if (keyProblem)
                ctx.addIssue({
                    code: "custom",
                    path: [purpose],
                    message: `(the instance key) ${JSON.stringify(purpose)} ${keyProblem}; it is used as a node label value`,
                });
            const given = field(instance, "name");
            const name = typeof given === "string" ? given : `${purpose}-redis`;
            const defaultProblem = given === undefined && !keyProblem ? failoverNameProblem(name) : undefined;
            if (defaultProblem)
                ctx.addIssue({
                    code: "custom",
                    path: [purpose],
                    message: `the default name ${JSON.stringify(name)} ${defaultProblem}; set instances.${purpose}.name`,
                });
            const other = names.get(name);
            if (other !== undefined)
                ctx.addIssue({ code: "custom", path: [purpose, "name"], message: `"${name}" is already the name of instance ${other}` });
            names.set(name, purpose);
        }
    }, ALWAYS)
    .transform((instances) =>
        Object.entries(instances).map(([purpose, { name, ...instance }]) => ({ purpose, name: name ?? `${purpose}-redis`, ...instance })),
    );

/** Bytes for messages, in the largest binary unit that keeps it readable. */
export function formatBytes(bytes: number): string {
    for (const [suffix, size] of [
        ["Gi", 1024 ** 3],
        ["Mi", 1024 ** 2],
        ["Ki", 1024],
    ] as const) {
        if (bytes >= size) {
            const value = bytes / size;
            return `${Number.isInteger(value) ? value : value.toFixed(1)}${suffix}`;
        }
    }
    return `${bytes}B`;
}
