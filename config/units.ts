// Size and quantity parsing, kept at this path for its importers; the grammars live in facts/patterns.ts.

import { parseQuantity, quantityProblem } from "../facts/patterns";

export { parseRedisBytes } from "../facts/patterns";

/** Bytes of a Kubernetes memory quantity (`512Mi`, `1G`, `1e9`); undefined when malformed. */
export function parseK8sMemoryBytes(text: string): number | undefined {
    return quantityProblem(text, "memory") ? undefined : parseQuantity(text);
}

/** True for a Kubernetes CPU quantity: cores (`0.5`, `2`) or millicores (`300m`). */
export function isK8sCpuQuantity(text: string): boolean {
    return quantityProblem(text, "cpu") === undefined;
}

/** Formats bytes for messages, in the largest binary unit that keeps it readable. */
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
