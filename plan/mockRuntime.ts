// Runs the Pulumi program in-process under the SDK's mock runtime and records every resource it
// registers (type, name, parent, dependencies, protect, inputs) and every stack output, with
// secrets masked and deploy-time values marked. Used by the offline plan and by the tests.

import * as pulumi from "@pulumi/pulumi";
import { PROJECT } from "../facts/project";

/** Shown where a value exists only after a real deploy (IPs, generated passwords, ids). */
export const KNOWN_AFTER_DEPLOY = "<known after deploy>";
/** What the mocks answer for a generated password; it must never surface in a plan. */
export const PASSWORD_PLACEHOLDER = "<password generated at deploy>";
/** What the mocks answer as a remote command's output (a join token, say); it must never surface unmasked. */
export function commandOutputPlaceholder(name: string): string {
    return `<output of ${name}, known after deploy>`;
}
/** Shown in place of a dynamic provider's serialized code. */
export const SERIALIZED_PROVIDER = "<serialized dynamic provider>";
/** Shown in place of every secret value. */
export const SECRET_MASK = "[secret]";

/** One resource the program registered. */
export interface RecordedResource {
    /** Its URN under the mock runtime. */
    urn: string;
    /** Type token, e.g. `kubernetes:helm.sh/v3:Release`. */
    type: string;
    /** Logical name. */
    name: string;
    /** Parent URN, absent for top-level resources. */
    parent?: string;
    /** URNs this resource waits for (explicit `dependsOn` and input dependencies). */
    dependencies: string[];
    /** Whether it is protected from deletion. */
    protect: boolean;
    /** Input properties whose changes are ignored. */
    ignoreChanges: string[];
    /** Outputs the engine must treat as secret. */
    additionalSecretOutputs: string[];
    /** False for component resources. */
    custom: boolean;
    /** Inputs with secrets masked and unknowns marked. */
    inputs: Record<string, unknown>;
}

/** What one run of the program produced. */
export interface ProgramRun {
    /** Resources, ordered by URN. */
    resources: RecordedResource[];
    /** Stack outputs with secrets masked. */
    outputs: Record<string, unknown>;
}

// `pulumi.runtime.waitForRPCs` is on the runtime namespace at run time but left out of its typings
// (marked internal): it resolves when every outstanding registration has finished.
const { waitForRPCs } = pulumi.runtime as unknown as { waitForRPCs(): Promise<void> };

type Callback = (err: unknown, response: unknown) => void;
interface RegisterRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getCustom(): boolean;
    getProtect(): boolean;
    getIgnorechangesList(): string[];
    getAdditionalsecretoutputsList(): string[];
    getDependenciesList(): string[];
    getObject(): Parameters<typeof pulumi.runtime.deserializeProperties>[0];
}

const { specialSigKey, specialSecretSig, unknownValue } = pulumi.runtime;

/** Replaces secrets with `[secret]` and unknowns with `<known after deploy>`, recursively. */
export function maskValue(value: unknown): unknown {
    if (value === unknownValue) {
        return KNOWN_AFTER_DEPLOY;
    }
    if (Array.isArray(value)) {
        return value.map(maskValue);
    }
    if (value !== null && typeof value === "object") {
        const record = value as Record<string, unknown>;
        if (record[specialSigKey] === specialSecretSig) {
            return SECRET_MASK;
        }
        return Object.fromEntries(Object.entries(record).map(([key, item]) => [key, maskValue(item)]));
    }
    return value;
}

/** Outputs a real provider computes; the mocks answer with marked placeholders. */
function computedState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
    switch (type) {
        case "random:index/randomPassword:RandomPassword":
            return { ...inputs, result: PASSWORD_PLACEHOLDER };
        case "aws:ec2/instance:Instance":
            return { ...inputs, privateIp: KNOWN_AFTER_DEPLOY, arn: KNOWN_AFTER_DEPLOY };
        // An S3 bucket's ARN is its name's (no account, no region in it).
        case "aws:s3/bucket:Bucket":
            return { ...inputs, arn: `arn:aws:s3:::${String(inputs.bucket)}` };
        case "aws:iam/accessKey:AccessKey":
            return { ...inputs, secret: KNOWN_AFTER_DEPLOY };
        case "aws:secretsmanager/secret:Secret":
            return { ...inputs, arn: KNOWN_AFTER_DEPLOY };
        case "pulumi-nodejs:dynamic:Resource":
            return { ...inputs, master: KNOWN_AFTER_DEPLOY, checkedAt: KNOWN_AFTER_DEPLOY, checks: [], reachedVia: KNOWN_AFTER_DEPLOY };
        case "command:remote:Command":
            return { ...inputs, stdout: commandOutputPlaceholder(name), stderr: "" };
        case "kubernetes:helm.sh/v3:Release":
            return { ...inputs, status: { status: KNOWN_AFTER_DEPLOY, namespace: inputs.namespace } };
        default:
            return inputs;
    }
}

/** Answers an invoke, or undefined to echo its inputs. */
export type InvokeHandler = (token: string, inputs: Record<string, unknown>) => Record<string, unknown> | undefined;

function mocksFor(invoke?: InvokeHandler): pulumi.runtime.Mocks {
    return {
        newResource: (args) => ({
            id: `<id of ${args.name}, known after deploy>`,
            state: computedState(args.type, args.name, args.inputs),
        }),
        call: (args) => invoke?.(args.token, args.inputs) ?? args.inputs,
    };
}

/** Resolves an exported value: outputs are awaited, secrets masked, objects walked. */
export async function resolveExport(value: unknown): Promise<unknown> {
    if (pulumi.Output.isInstance(value)) {
        if (await pulumi.isSecret(value)) {
            return SECRET_MASK;
        }
        const inner = await (value as unknown as { promise(withUnknowns: boolean): Promise<unknown> }).promise(true);
        return typeof inner === "symbol" ? KNOWN_AFTER_DEPLOY : resolveExport(inner);
    }
    if (Array.isArray(value)) {
        return Promise.all(value.map(resolveExport));
    }
    if (value !== null && typeof value === "object" && !pulumi.Resource.isInstance(value)) {
        const entries = await Promise.all(Object.entries(value).map(async ([key, item]) => [key, await resolveExport(item)]));
        return Object.fromEntries(entries);
    }
    return value;
}

/** Settings of one mock run. */
export interface MockRunOptions {
    /** Stack name the code sees from `pulumi.getStack()`. */
    stack: string;
    /** Config map as Pulumi hands it to programs: `project:key` to string (objects as JSON). */
    config?: Record<string, string>;
    /** Config keys that are secret. */
    secretKeys?: string[];
    /** Run as a preview (outputs the engine cannot know stay unknown). */
    preview?: boolean;
    /** Answers to provider functions (AWS look-ups); inputs are echoed when absent or undefined. */
    invoke?: InvokeHandler;
}

/**
 * Runs `body` under a fresh mock runtime and returns its result with every resource it
 * registered, once all registrations have finished.
 */
export async function recordResources<T>(
    options: MockRunOptions,
    body: () => Promise<T> | T,
): Promise<{ resources: RecordedResource[]; result: T }> {
    const resources: RecordedResource[] = [];
    await pulumi.runtime.setMocks(mocksFor(options.invoke), PROJECT, options.stack, options.preview ?? false);

    // The mock monitor sees each registration request; wrap it to record what mocks are not told
    // (parent, dependencies, protect) alongside the inputs.
    const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource(req: RegisterRequest, callback: Callback): Promise<void> };
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) => {
        const inputs = maskValue(pulumi.runtime.deserializeProperties(req.getObject(), true)) as Record<string, unknown>;
        if (typeof inputs.__provider === "string") {
            inputs.__provider = SERIALIZED_PROVIDER; // the dynamic provider's code, not a setting
        }
        return register(req, (err, response) => {
            const urn = (response as { getUrn?: () => string } | undefined)?.getUrn?.();
            if (!err && urn) {
                resources.push({
                    urn,
                    type: req.getType(),
                    name: req.getName(),
                    parent: req.getParent() || undefined,
                    dependencies: req.getDependenciesList(),
                    protect: req.getProtect(),
                    ignoreChanges: req.getIgnorechangesList(),
                    additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
                    custom: req.getCustom(),
                    inputs,
                });
            }
            callback(err, response);
        });
    };
    pulumi.runtime.setAllConfig(options.config ?? {}, options.secretKeys ?? []);
    let result: T;
    try {
        result = await body();
    } catch (error) {
        // Callers can still see what was registered before the failure. Registrations that wait on
        // the failed value never finish, so the wait is bounded.
        await Promise.race([waitForRPCs().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 1000))]);
        if (error !== null && typeof error === "object") {
            Object.assign(error, { registered: resources });
        }
        throw error;
    }
    await waitForRPCs();
    // Registration order depends on when outputs resolve; sorting keeps plans diffable.
    resources.sort((a, b) => a.urn.localeCompare(b.urn));
    return { resources, result };
}

/** Runs `program` under mocks and returns what it registered and the outputs it returned. */
export async function runProgram(options: MockRunOptions & { program: () => object }): Promise<ProgramRun> {
    const { resources, result } = await recordResources(
        options,
        async () => (await resolveExport(options.program())) as Record<string, unknown>,
    );
    return { resources, outputs: result };
}
