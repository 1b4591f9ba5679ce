// Grammars shared by config validation, the policy pack and components. Each names where its grammar
// comes from. `...Problem` functions return why a value is refused (a phrase that follows the quoted
// value), or undefined when it is fine; `parse...` functions return undefined for malformed input.
// Nothing here throws.

/** Levenshtein distance, for "did you mean" hints. */
export function editDistance(a: string, b: string): number {
    let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const current = [i];
        for (let j = 1; j <= b.length; j++) {
            current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        }
        previous = current;
    }
    return previous[b.length];
}

/** The candidate nearest to `word` (case-insensitively) within `maxDistance` edits, if any. */
export function closest(word: string, candidates: Iterable<string>, maxDistance = 2): string | undefined {
    let best: [string | undefined, number] = [undefined, maxDistance + 1];
    for (const candidate of candidates) {
        const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
        if (distance < best[1]) best = [candidate, distance];
    }
    return best[0];
}

// ---- Sizes -------------------------------------------------------------------------------------

/** Redis's units (`memtoull` in src/util.c): k/m/g are powers of 1000, kb/mb/gb of 1024, any case. */
const REDIS_UNITS: Record<string, number> = { "": 1, b: 1, k: 1e3, kb: 1024, m: 1e6, mb: 1024 ** 2, g: 1e9, gb: 1024 ** 3 };

/** Smallest maxmemory accepted: below this Redis cannot even hold its own overhead. */
export const MIN_REDIS_MAXMEMORY = 1024 ** 2;

/** Bytes of a Redis memory size: digits then an optional unit, no space (Redis `memtoull`, src/util.c). */
export function parseRedisBytes(text: string): number | undefined {
    const match = /^(\d+)([a-z]*)$/i.exec(text);
    const multiplier = match ? REDIS_UNITS[match[2].toLowerCase()] : undefined;
    return match && multiplier !== undefined ? Number(match[1]) * multiplier : undefined;
}

/** A Redis maxmemory, as text or as a JSON number of bytes (what `pulumi config set --path` stores). */
export function redisMaxmemoryProblem(value: string | number): string | undefined {
    const bytes = typeof value === "number" ? (Number.isInteger(value) && value >= 0 ? value : undefined) : parseRedisBytes(value);
    if (bytes === undefined) return "is not a Redis memory size: digits and b, k, kb, m, mb, g or gb, no space (e.g. 256mb, 1gb)";
    if (bytes === 0) return "means no limit to Redis; give a size (e.g. 256mb)";
    if (bytes < MIN_REDIS_MAXMEMORY) return `is ${bytes} bytes; maxmemory must be at least 1mb`;
    return undefined;
}

/** Multipliers of Kubernetes quantity suffixes (apimachinery `resource.Quantity`, suffix.go): case-sensitive. */
const QUANTITY_SUFFIXES: Record<string, number> = {
    ...{ Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 },
    ...{ n: 1e-9, u: 1e-6, m: 1e-3, "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 },
};
/** `<signedNumber><suffix>` of apimachinery quantity.go; a decimal exponent is `e`/`E` and an integer. */
const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])|[eE]([+-]?\d+))?$/;

/** The value of a Kubernetes quantity (`512Mi`, `1G`, `500m`, `1.5`, `1e9`); undefined when malformed. */
export function parseQuantity(text: string): number | undefined {
    const match = QUANTITY.exec(text);
    if (!match) return undefined;
    return Number(match[1]) * (match[3] !== undefined ? 10 ** Number(match[3]) : QUANTITY_SUFFIXES[match[2] ?? ""]);
}

/** Why `text` is not a usable quantity of `what`; memory and storage refuse sub-byte suffixes. */
export function quantityProblem(text: string, what: "cpu" | "memory" | "storage"): string | undefined {
    const value = parseQuantity(text);
    if (value === undefined) {
        const suffix = /^[\d.]+([A-Za-z]+)$/.exec(text)?.[1];
        const binary = suffix && /^([kmgtpe])i?b?$/i.exec(suffix)?.[1];
        const hint = binary ? ` (did you mean ${text.slice(0, -suffix.length)}${binary.toUpperCase()}i?)` : "";
        return `is not a Kubernetes quantity: a number and a case-sensitive suffix (Ki, Mi, Gi, Ti or k, M, G, T, or m for milli)${hint}`;
    }
    if (value < 0) return "is negative";
    if (what !== "cpu" && /[num]$/.test(text)) return `is in thousandths (or less) of a byte; did you mean ${text.slice(0, -1)}Mi?`;
    return undefined;
}

// ---- Kubernetes names (apimachinery pkg/util/validation/validation.go) ------------------------------

/** PersistentVolumeAccessMode values of core/v1. */
export const ACCESS_MODES = ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"] as const;

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** `IsDNS1123Label`: namespaces, node names; `max` is lower where a consumer says so (RedisFailover: 48). */
export function dnsLabelProblem(value: string, max = 63): string | undefined {
    if (!DNS1123_LABEL.test(value))
        return "is not a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit";
    return value.length > max ? `has ${value.length} characters; at most ${max} are accepted` : undefined;
}

/** `IsDNS1123Subdomain`: Secret, ExternalSecret, StorageClass names; dot-separated labels, at most 253. */
export function dnsSubdomainProblem(value: string): string | undefined {
    if (value.length > 253) return `has ${value.length} characters; a DNS-1123 subdomain has at most 253`;
    return value.split(".").every((label) => DNS1123_LABEL.test(label) && label.length <= 63)
        ? undefined
        : "is not a DNS-1123 subdomain: dot-separated lowercase labels of letters, digits and '-'";
}

/** `IsQualifiedName`: label, taint and selector keys; an optional DNS subdomain prefix and '/'. */
export function labelKeyProblem(value: string): string | undefined {
    const parts = value.split("/");
    const [prefix, name] = parts.length === 2 ? parts : [undefined, parts[0]];
    if (parts.length > 2 || prefix === "" || (prefix !== undefined && dnsSubdomainProblem(prefix))) {
        return "is not a label key: an optional DNS subdomain prefix and '/', then a name";
    }
    if (!QUALIFIED_NAME.test(name) || name.length > 63) {
        return "is not a label key: the name is at most 63 letters, digits, '-', '_' or '.', starting and ending alphanumeric";
    }
    return undefined;
}

/** `IsValidLabelValue`: empty, or at most 63 qualified-name characters. */
export function labelValueProblem(value: string): string | undefined {
    return value === "" || (value.length <= 63 && QUALIFIED_NAME.test(value))
        ? undefined
        : "is not a label value: at most 63 letters, digits, '-', '_' or '.', starting and ending alphanumeric";
}

// ---- Container images (distribution/reference regexp.go) ------------------------------------------

const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*";
const IMAGE_NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const TAG = /^[\w][\w.-]{0,127}$/;
const REFERENCE = new RegExp(
    `^(${IMAGE_NAME})(?::([\\w][\\w.-]{0,127}))?(?:@([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$`,
);
const NAME_TOTAL_LENGTH_MAX = 255; // reference.go

/** The name's grammar and length; a first component without '.', ':' or `localhost` is a path, so lowercase (normalize.go). */
function imageNameOk(name: string): boolean {
    const first = name.split("/")[0];
    const isPath = !name.includes("/") || !(/[.:]/.test(first) || first === "localhost");
    return name.length <= NAME_TOTAL_LENGTH_MAX && !(isPath && /[A-Z]/.test(first));
}

/** A repository name without tag or digest (`quay.io/spotahome/redis-operator`). */
export function imageRepositoryProblem(value: string): string | undefined {
    return new RegExp(`^${IMAGE_NAME}$`).test(value) && imageNameOk(value)
        ? undefined
        : "is not an image repository: [registry[:port]/]lowercase/path, without tag or digest";
}

/** An exact SemVer version, as a Helm chart pins it (`3.3.0`); ranges such as `^3.3` are not pins. */
export const EXACT_VERSION = /^\d+\.\d+\.\d+([-+][\w.]+)?$/;

/** A tag that pins an image: the reference grammar's tag, and not `latest`, which moves. */
export function imageTagProblem(value: string): string | undefined {
    if (!TAG.test(value)) return "is not an image tag: letters, digits, '_', '.' and '-', at most 128";
    return value === "latest" ? "is not pinned: latest is not allowed, it moves" : undefined;
}

/** A full image reference pinned by a tag other than `latest`, or by a `@sha256:` digest. */
export function imageReferenceProblem(value: string): string | undefined {
    const match = REFERENCE.exec(value);
    if (!match || !imageNameOk(match[1])) {
        return "is not an image reference: [registry[:port]/]lowercase/path[:tag][@sha256:digest]";
    }
    const [, , tag, digest] = match;
    if (digest !== undefined)
        return /^sha256:[a-f0-9]{64}$/.test(digest) ? undefined : "has a digest that is not sha256:<64 lowercase hex>";
    return tag === undefined || tag === "latest" ? "is not pinned: give a tag other than latest, or a @sha256: digest" : undefined;
}

/** True for a reference the policy pack and config both accept as pinned. */
export function isPinnedImage(value: unknown): boolean {
    return typeof value === "string" && imageReferenceProblem(value) === undefined;
}

// ---- AWS (EC2, KMS and Secrets Manager API references) ------------------------------------------

/** EC2 ids are the prefix and 8 (older) or 17 lowercase hex digits. */
export function awsIdProblem(value: string, prefix: "subnet" | "vpc" | "sg" | "ami"): string | undefined {
    const names = { subnet: "a subnet id", vpc: "a VPC id", sg: "a security group id", ami: "an AMI id" };
    return new RegExp(`^${prefix}-(?:[0-9a-f]{8}|[0-9a-f]{17})$`).test(value)
        ? undefined
        : `is not ${names[prefix]} (${prefix}- and 8 or 17 lowercase hex digits)`;
}

let instanceTypes: { set: Set<string>; version: string } | undefined;

/** An instance type from the list the pinned @pulumi/aws ships (`types/enums/ec2`, `InstanceType`). */
export function instanceTypeProblem(value: string): string | undefined {
    if (!instanceTypes) {
        /* eslint-disable @typescript-eslint/no-require-imports -- loaded on first use: most callers never need the list */
        const { InstanceType } = require("@pulumi/aws/types/enums/ec2") as { InstanceType: Record<string, string> };
        instanceTypes = {
            set: new Set(Object.values(InstanceType)),
            version: (require("@pulumi/aws/package.json") as { version: string }).version,
        };
        /* eslint-enable @typescript-eslint/no-require-imports */
    }
    if (instanceTypes.set.has(value)) return undefined;
    const near = closest(value, instanceTypes.set);
    return `is not an EC2 instance type known to @pulumi/aws ${instanceTypes.version}${near ? `; did you mean ${near}?` : " (e.g. t3.medium)"}`;
}

const KMS_KEY_ID = "(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})";
const KMS_ALIAS = "alias/[A-Za-z0-9/_-]{1,250}";
const KMS = new RegExp(`^(?:${KMS_KEY_ID}|${KMS_ALIAS}|arn:aws[a-z-]*:kms:[a-z0-9-]+:\\d{12}:(?:key/${KMS_KEY_ID}|${KMS_ALIAS}))$`);

/** KMS `KeyId`: key id, `mrk-` multi-Region id, key ARN, `alias/` name or alias ARN. */
export function kmsKeyProblem(value: string): string | undefined {
    return KMS.test(value) ? undefined : "is not a KMS key id, mrk- id, key ARN, alias/name or alias ARN";
}

/** Secrets Manager `CreateSecret` Name: 1-512 of letters, digits and /_+=.@-. */
export function secretsManagerNameProblem(value: string): string | undefined {
    if (!/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(value)) return "is not a Secrets Manager name: 1 to 512 letters, digits and /_+=.@-";
    // AWS appends "-" and six random characters to the ARN; a name ending like that confuses partial-ARN lookups.
    return value.at(-7) === "-" ? "ends with a hyphen and six characters, which AWS warns breaks look-ups by partial ARN" : undefined;
}

/** A Linux user name as shadow-utils `useradd` accepts by default (chkname.c), at most 32 (utmp). */
export function linuxUserProblem(value: string): string | undefined {
    return /^[a-z_][a-z0-9_-]*\$?$/.test(value) && value.length <= 32
        ? undefined
        : "is not a Linux user name: lowercase letters, digits, '_' and '-', starting with a letter or '_', at most 32";
}

/** Go `time.ParseDuration` (what external-secrets reads): `1h30m`, `90s`, `1.5h`, `0`; units ns us µs ms s m h. */
export function goDurationProblem(value: string): string | undefined {
    return /^(?:0|(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)$/.test(value)
        ? undefined
        : "is not a Go duration: numbers with units ns, us, ms, s, m, h (e.g. 1h, 30m, 1h30m)";
}

/** Seconds of a Go duration (`1h30m`, `90s`); the grammar is goDurationProblem's, checked by config. */
export function goDurationSeconds(text: string): number {
    const units: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, μs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
    let total = 0;
    for (const [, value, unit] of text.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) total += Number(value) * units[unit];
    return total;
}

/** Bytes of a Kubernetes memory quantity (`512Mi`, `1G`, `1e9`); undefined when malformed. */
export function parseK8sMemoryBytes(text: string): number | undefined {
    return quantityProblem(text, "memory") ? undefined : parseQuantity(text);
}

/**
 * An S3 general purpose bucket name (S3 User Guide, "General purpose bucket naming rules"): 3 to 63
 * lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit, no two
 * dots in a row, not an IP address, not starting `xn--` or ending `-s3alias`.
 */
export function s3BucketProblem(value: string): string | undefined {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(value))
        return "is not an S3 bucket name: 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit";
    if (value.includes("..") || /^\d+\.\d+\.\d+\.\d+$/.test(value) || value.startsWith("xn--") || value.endsWith("-s3alias"))
        return "is not an S3 bucket name: no two dots in a row, not an IP address, not xn--… or …-s3alias";
    return undefined;
}

/** An S3 key prefix: empty, or path segments of letters, digits and !-_.*'() each ending in "/". */
export function s3PrefixProblem(value: string): string | undefined {
    return /^([A-Za-z0-9!_.*'()-]+\/)*$/.test(value)
        ? undefined
        : "is not a key prefix: segments of letters, digits and !-_.*'() each ending with /, e.g. redis/";
}
