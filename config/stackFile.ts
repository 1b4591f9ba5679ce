// Reads a `Pulumi.<stack>.yaml` into the config map Pulumi would hand the program: keys as
// `project:key`, objects and lists as JSON text, scalars as text. Encrypted (`secure:`) values
// cannot be decrypted offline; they are replaced by a placeholder and marked secret.

import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";

/** Value used for encrypted settings, which only the Pulumi CLI can decrypt. */
export const ENCRYPTED_PLACEHOLDER = "<encrypted: set in the real stack>";

/** A stack file's config as the program sees it. */
export interface StackFileConfig {
    /** `project:key` to the string Pulumi passes. */
    config: Record<string, string>;
    /** Keys whose values are secret. */
    secretKeys: string[];
}

/**
 * A stack file that cannot be read: the message is one line, `Pulumi.x.yaml:12: <reason>`. It never
 * quotes the file, which may hold secrets.
 */
export class StackFileError extends Error {
    constructor(
        readonly file: string,
        readonly line: number | undefined,
        readonly reason: string,
    ) {
        super(`${path.basename(file)}${line === undefined ? "" : `:${line}`}: ${reason}`);
        this.name = "StackFileError";
    }
}

/** Converts a parsed stack file document into the program's config map. */
export function stackConfigFromDocument(document: unknown, project: string): StackFileConfig {
    const root = (document ?? {}) as { config?: unknown };
    if (
        typeof root !== "object" ||
        Array.isArray(root) ||
        (root.config != null && (typeof root.config !== "object" || Array.isArray(root.config)))
    ) {
        throw new Error("a stack file must be a YAML mapping with a `config:` mapping");
    }
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const [rawKey, value] of Object.entries((root.config ?? {}) as Record<string, unknown>)) {
        const key = rawKey.includes(":") ? rawKey : `${project}:${rawKey}`;
        if (value !== null && typeof value === "object" && !Array.isArray(value) && "secure" in value) {
            config[key] = ENCRYPTED_PLACEHOLDER;
            secretKeys.push(key);
        } else if (value !== null && typeof value === "object") {
            config[key] = JSON.stringify(value);
        } else {
            config[key] = String(value);
        }
    }
    return { config, secretKeys };
}

/** Reads and converts a stack file; every failure is a one-line `StackFileError`. */
export function readStackFile(file: string, project: string): StackFileConfig {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (error) {
        throw new StackFileError(file, undefined, `cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`);
    }
    let document: unknown;
    try {
        // js-yaml refuses duplicate keys; its own message quotes the file, so only reason and line are kept.
        document = yaml.load(text, { filename: path.basename(file) });
    } catch (error) {
        const { reason, mark } = error as { reason?: string; mark?: { line?: number } };
        throw new StackFileError(file, mark?.line === undefined ? undefined : mark.line + 1, reason ?? "is not valid YAML");
    }
    try {
        return stackConfigFromDocument(document, project);
    } catch (error) {
        throw new StackFileError(file, undefined, (error as Error).message);
    }
}
