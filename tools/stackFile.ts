// Reads a `Pulumi.<stack>.yaml` into the config map Pulumi would hand the program: keys as
// `project:key`, objects and lists as JSON text, scalars as text. Encrypted (`secure:`) values
// cannot be decrypted offline; they are replaced by a placeholder and marked secret.

import * as fs from "fs";
import * as yaml from "js-yaml";

/** Value used for encrypted settings, which only the Pulumi CLI can decrypt. */
export const ENCRYPTED_PLACEHOLDER = "<encrypted: set in the real stack>";

/** A stack file's config as the program sees it. */
export interface StackFileConfig {
    /** `project:key` to the string Pulumi passes. */
    config: Record<string, string>;
    /** Keys whose values are secret. */
    secretKeys: string[];
}

/** Converts a parsed stack file document into the program's config map. */
export function stackConfigFromDocument(document: unknown, project: string): StackFileConfig {
    const root = (document ?? {}) as { config?: Record<string, unknown> };
    if (typeof root !== "object" || Array.isArray(root)) {
        throw new Error("a stack file must be a YAML mapping with a `config:` section");
    }
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const [rawKey, value] of Object.entries(root.config ?? {})) {
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

/** Reads and converts a stack file. */
export function readStackFile(file: string, project: string): StackFileConfig {
    return stackConfigFromDocument(yaml.load(fs.readFileSync(file, "utf8")), project);
}
