// The human-readable plan: a resource tree with the settings that matter, what each waits for,
// then the stack outputs.

import { describeResource, text } from "./describers";
import { KNOWN_AFTER_DEPLOY, ProgramRun, RecordedResource, SECRET_MASK } from "./mockRuntime";

/** The human-readable plan: a resource tree, then the outputs. */
export function formatPlan(stack: string, run: ProgramRun): string {
    const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
    const children = new Map<string | undefined, RecordedResource[]>();
    for (const resource of run.resources) {
        const parent = resource.parent && byUrn.has(resource.parent) ? resource.parent : undefined;
        children.set(parent, [...(children.get(parent) ?? []), resource]);
    }
    const lines = [
        `Plan for stack "${stack}" (offline: mock runtime, no cloud, no credentials)`,
        "",
        `Resources (${run.resources.length}):`,
    ];
    const walk = (parent: string | undefined, depth: number) => {
        for (const resource of children.get(parent) ?? []) {
            const indent = "  ".repeat(depth + 1);
            const flags = [resource.protect ? "protected" : "", resource.custom ? "" : "component"].filter(Boolean);
            lines.push(`${indent}${resource.type}  ${resource.name}${flags.length ? `  [${flags.join(", ")}]` : ""}`);
            const detail = describeResource(resource);
            if (detail) {
                lines.push(`${indent}    ${detail}`);
            }
            const waits = resource.dependencies.map((urn) => byUrn.get(urn)?.name ?? urn);
            if (waits.length) {
                lines.push(`${indent}    waits for: ${waits.join(", ")}`);
            }
            walk(resource.urn, depth + 1);
        }
    };
    walk(undefined, 0);
    lines.push("", "Outputs:");
    const flatten = (value: unknown, prefix: string) => {
        if (Array.isArray(value) && value.length > 0) {
            value.forEach((item, index) => flatten(item, `${prefix}[${index}]`));
        } else if (value !== null && typeof value === "object" && !Array.isArray(value)) {
            for (const [key, item] of Object.entries(value)) {
                flatten(item, prefix ? `${prefix}.${key}` : key);
            }
        } else {
            lines.push(`  ${prefix} = ${text(value)}`);
        }
    };
    flatten(run.outputs, "");
    lines.push("", `${SECRET_MASK}: secret, never shown. ${KNOWN_AFTER_DEPLOY}: only a real deploy knows it.`);
    return lines.join("\n");
}
