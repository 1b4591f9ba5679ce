// Turns a script under scripts/ plus its parameters into the text of a remote command. The
// script travels base64-encoded, so no quoting of its body is needed; parameters are passed as
// environment variables, quoted for the shell. Nothing secret may be a parameter: a failing
// command prints its text. Secrets go through the command's stdin.

import * as fs from "fs";
import * as path from "path";

/** Folder of the shell scripts run on the control plane and the nodes. */
export const SCRIPTS_DIR = path.resolve(__dirname, "..", "scripts");

/** The scripts this program runs. */
export type ScriptName = "prepare-node.sh" | "join-node.sh" | "create-join-token.sh" | "label-node.sh" | "remove-node.sh" | "reset-node.sh";

/** Quotes a value for a POSIX shell. */
export function shellQuote(value: string): string {
    return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Reads a script's text. */
export function readScript(name: ScriptName): string {
    return fs.readFileSync(path.join(SCRIPTS_DIR, name), "utf8");
}

/**
 * The command that runs `name` as root with `parameters` in its environment. Its stdin is passed
 * through to the script. The first line names the script, so a failure is easy to place.
 */
export function scriptCommand(name: ScriptName, parameters: Record<string, string> = {}): string {
    const body = Buffer.from(readScript(name), "utf8").toString("base64");
    for (const key of Object.keys(parameters)) {
        if (!/^[A-Z_][A-Z0-9_]*$/.test(key)) {
            throw new Error(`script parameter ${key} is not an environment variable name`);
        }
    }
    const environment = Object.entries(parameters).map(([key, value]) => `${key}=${shellQuote(value)}`);
    return [
        `# redis-ha: scripts/${name}`,
        `script="$(mktemp)" && trap 'rm -f "$script"' EXIT && echo '${body}' | base64 -d >"$script" &&`,
        `sudo env ${environment.join(" ")} bash "$script"`,
    ].join("\n");
}
