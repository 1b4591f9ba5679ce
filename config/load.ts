// The one place that reads Pulumi config: hands the raw map, and which keys are secret, to the pure
// parser, and wraps secret settings as secret outputs.

import * as pulumi from "@pulumi/pulumi";
import { PROJECT } from "../facts/project";
import { parseStackConfigOrThrow } from "./parse";
import { StackConfig } from "./types";

/** A stack's validated configuration plus its secret settings. */
export interface LoadedConfig {
    /** Validated settings. */
    stack: StackConfig;
    /** Kubeconfig for the cluster, when not taken from the environment; always secret. */
    kubeconfig?: pulumi.Output<string>;
    /** SSH private key for the control plane and managed nodes; always secret. */
    sshPrivateKey?: pulumi.Output<string>;
}

/**
 * Whether the engine delivered a key as secret. `pulumi.runtime.isConfigSecret` is on the runtime
 * namespace but left out of its typings (marked internal), so it is read defensively.
 */
function secretPredicate(): ((key: string) => boolean) | undefined {
    const { isConfigSecret } = pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean };
    return typeof isConfigSecret === "function" ? isConfigSecret : undefined;
}

/** Reads and validates this stack's config; throws a `ConfigError` naming every bad key. */
export function loadConfig(): LoadedConfig {
    const stack = parseStackConfigOrThrow(pulumi.runtime.allConfig(), pulumi.getStack(), { secretKeys: secretPredicate() });
    const config = new pulumi.Config(PROJECT);
    return { stack, kubeconfig: config.getSecret("kubeconfig"), sshPrivateKey: config.getSecret("sshPrivateKey") };
}
