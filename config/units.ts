// Size and quantity parsing shared by validation and rendering.
// Redis and Kubernetes spell sizes differently; both are turned into bytes here so the
// "maxmemory fits inside the container limit" rule compares like with like.

/** Multipliers of Redis's memory notation: `k`/`m`/`g` are powers of 1000, `kb`/`mb`/`gb` of 1024. */
const REDIS_UNITS: Record<string, number> = {
    "": 1,
    b: 1,
    k: 1e3,
    kb: 1024,
    m: 1e6,
    mb: 1024 ** 2,
    g: 1e9,
    gb: 1024 ** 3,
};

/** Parses a Redis memory size (`256mb`, `1gb`, `1048576`) into bytes; undefined when malformed. */
export function parseRedisBytes(text: string): number | undefined {
    const match = /^(\d+)\s*([a-z]*)$/i.exec(text.trim());
    if (!match) {
        return undefined;
    }
    const multiplier = REDIS_UNITS[match[2].toLowerCase()];
    return multiplier === undefined ? undefined : Number(match[1]) * multiplier;
}

/** Multipliers of Kubernetes memory quantities (binary and decimal suffixes). */
const K8S_MEMORY_UNITS: Record<string, number> = {
    "": 1,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    Ki: 1024,
    Mi: 1024 ** 2,
    Gi: 1024 ** 3,
    Ti: 1024 ** 4,
};

/** Parses a Kubernetes memory quantity (`512Mi`, `1G`, `1e9`) into bytes; undefined when malformed. */
export function parseK8sMemoryBytes(text: string): number | undefined {
    const match = /^(\d+(?:\.\d+)?)(?:e(\d+)|([kMGT]i?|Ki))?$/.exec(text.trim());
    if (!match) {
        return undefined;
    }
    const value = Number(match[1]);
    if (match[2] !== undefined) {
        return value * 10 ** Number(match[2]);
    }
    const multiplier = K8S_MEMORY_UNITS[match[3] ?? ""];
    return multiplier === undefined ? undefined : value * multiplier;
}

/** True for a Kubernetes CPU quantity: whole or decimal cores (`0.5`, `2`) or millicores (`300m`). */
export function isK8sCpuQuantity(text: string): boolean {
    return /^(\d+(\.\d+)?|\d+m)$/.test(text.trim());
}

/** Formats bytes for messages, in the largest binary unit that keeps it readable. */
export function formatBytes(bytes: number): string {
    const units: Array<[string, number]> = [["Gi", 1024 ** 3], ["Mi", 1024 ** 2], ["Ki", 1024]];
    for (const [suffix, size] of units) {
        if (bytes >= size) {
            const value = bytes / size;
            return `${Number.isInteger(value) ? value : value.toFixed(1)}${suffix}`;
        }
    }
    return `${bytes}B`;
}
