// Plans a stack offline: runs the program under the SDK's mock runtime with a stack file's config,
// AWS look-ups answered by a simulated account. No cloud, no Pulumi CLI, no credentials.

import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../config/errors";
import { loadConfig } from "../config/load";
import { readStackFile, StackFileError } from "../config/stackFile";
import { PROJECT } from "../facts/project";
import { redisHa } from "../program/redisHa";
import { ProgramRun, runProgram } from "./mockRuntime";
import { answerInvoke, DEFAULT_ACCOUNT, SimulatedAccount } from "./simulatedAccount";

/** The project's folder, where the program and its stack files are. */
export const PROJECT_DIR = path.resolve(__dirname, "..");

/** The stack file of a stack in the project folder. */
export function stackFilePath(stack: string): string {
    return path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`);
}

/** A plan as written by `--json`. */
export interface PlanDocument {
    /** Stack name. */
    stack: string;
    /** Every resource the program registers, inputs masked. */
    resources: Array<{ urn: string; type: string; name: string; parent: string | null; inputs: Record<string, unknown> }>;
    /** Stack outputs, secrets masked. */
    outputs: Record<string, unknown>;
}

/** The outcome of planning one stack. */
export type PlanResult = { ok: true; stack: string; run: ProgramRun } | { ok: false; stack: string; problems: string[] };

/**
 * Plans a stack from its stack file against a simulated AWS account. Invalid config and a failed
 * preflight yield their messages, not an exception.
 */
export async function planStack(stack: string, configFile?: string, account: SimulatedAccount = DEFAULT_ACCOUNT): Promise<PlanResult> {
    const file = configFile ?? stackFilePath(stack);
    if (!fs.existsSync(file)) {
        return { ok: false, stack, problems: [`no stack file ${file}`] };
    }
    try {
        const { config, secretKeys } = readStackFile(file, PROJECT);
        const run = await runProgram({
            stack,
            config,
            secretKeys,
            program: () => redisHa(loadConfig(), stack),
            invoke: (token, inputs) => answerInvoke(account, token, inputs),
        });
        return { ok: true, stack, run };
    } catch (error) {
        if (error instanceof StackFileError) {
            return { ok: false, stack, problems: [error.message] };
        }
        if (error instanceof ConfigError) {
            return { ok: false, stack, problems: error.issues.map((issue) => `${issue.key}: ${issue.message}`) };
        }
        // A check the program runs before creating anything (the vCPU quota preflight).
        if (pulumi.RunError.isInstance(error)) {
            // The SDK prefixes the path of every input the failure travelled through; the cause is what matters.
            return { ok: false, stack, problems: [(error as Error).message.replace(/^(error serializing property "[^"]*": )+/, "")] };
        }
        throw error;
    }
}

/** The `--json` document of a successful plan. */
export function planDocument(stack: string, run: ProgramRun): PlanDocument {
    return {
        stack,
        resources: run.resources.map((r) => ({ urn: r.urn, type: r.type, name: r.name, parent: r.parent ?? null, inputs: r.inputs })),
        outputs: run.outputs,
    };
}
