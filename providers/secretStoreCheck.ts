// A dynamic resource that checks, at preview and at up, that the store an ExternalSecret names
// exists in the cluster. An ExternalSecret whose store is missing is accepted by the API server and
// never syncs (its status says SecretSyncedError, in the cluster only), so without this `up` would
// succeed and the applications would never get their URLs. The check runs in the provider's
// `check`, which the engine calls on preview as well as on up.

import * as pulumi from "@pulumi/pulumi";
// At the top, not required in a method: Pulumi serializes what the provider reaches by value.
import { apiRefusal, DEFAULT_API_TIMEOUT_MS, loadKubeConfig } from "../health/cluster";
import { withDeadline } from "../health/connection";

/** What names the store, and where it is looked up. */
export interface StoreCheckInputs {
    /** `ClusterSecretStore` or `SecretStore` (namespaced, in `namespace`). */
    kind: "ClusterSecretStore" | "SecretStore";
    /** The store's name. */
    name: string;
    /** The ExternalSecret's namespace: where a SecretStore must be. */
    namespace: string;
    /** The config key that names the store, for the message. */
    configKey: string;
    /** Kubeconfig text; the default kubeconfig when absent. */
    kubeconfig?: string;
    /** external-secrets' API version the stores are read with (`v1`, or `v1beta1` for installs before v0.16). */
    version: string;
}

/** How a store is read: resolves when it exists, rejects with the API server's error otherwise. */
export type StoreReader = (inputs: StoreCheckInputs) => Promise<void>;

/** Reads the store through the Kubernetes API. */
export const readStore: StoreReader = async (inputs) => {
    const { k8s, config } = loadKubeConfig(inputs.kubeconfig);
    const api = config.makeApiClient(k8s.CustomObjectsApi);
    const plural = inputs.kind === "ClusterSecretStore" ? "clustersecretstores" : "secretstores";
    const reading =
        inputs.kind === "ClusterSecretStore"
            ? api.getClusterCustomObject("external-secrets.io", inputs.version, plural, inputs.name)
            : api.getNamespacedCustomObject("external-secrets.io", inputs.version, inputs.namespace, plural, inputs.name);
    await withDeadline(reading, DEFAULT_API_TIMEOUT_MS, "the API server");
};

/** Why the ExternalSecret would never sync, or undefined when its store is there. */
export async function storeProblem(inputs: StoreCheckInputs, read: StoreReader = readStore): Promise<string | undefined> {
    const where = inputs.kind === "SecretStore" ? ` in namespace ${inputs.namespace}` : "";
    const store = `${inputs.kind} "${inputs.name}"${where}`;
    try {
        await read(inputs);
        return undefined;
    } catch (error) {
        const { statusCode, detail: said } = apiRefusal(error);
        const why =
            statusCode === 404
                ? `${store} does not exist (${said}); an ExternalSecret naming it never syncs. Create the store first, or name one that exists`
                : `${store} could not be read (${statusCode ? `${statusCode} ` : ""}${said}), so whether it exists is unknown`;
        return `${inputs.configKey}: ${why}`;
    }
}

/** Pulumi's placeholder for a value not known until deploy (dynamic providers see it as this string). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export const storeCheckProvider: pulumi.dynamic.ResourceProvider = {
    async check(_olds: StoreCheckInputs, news: StoreCheckInputs) {
        // A kubeconfig not known yet (made in the same update) is read on up, when it is.
        if (Object.values(news).includes(UNKNOWN)) return { inputs: news };
        const problem = await storeProblem(news);
        return { inputs: news, failures: problem ? [{ property: "name", reason: problem }] : [] };
    },
    async create(inputs: StoreCheckInputs) {
        return { id: `${inputs.kind}/${inputs.namespace}/${inputs.name}`, outs: { kind: inputs.kind, name: inputs.name } };
    },
    async diff(_id: string, olds: StoreCheckInputs, news: StoreCheckInputs) {
        const changes = olds.kind !== news.kind || olds.name !== news.name || olds.namespace !== news.namespace;
        return { changes, replaces: changes ? ["name"] : [], deleteBeforeReplace: false };
    },
};

/** Arguments of a `SecretStoreCheck`. */
export interface SecretStoreCheckArgs {
    kind: StoreCheckInputs["kind"];
    name: string;
    namespace: string;
    configKey: string;
    version: string;
    kubeconfig?: pulumi.Input<string>;
}

/** The ExternalSecret's store, checked to exist before the ExternalSecret is made. */
export class SecretStoreCheck extends pulumi.dynamic.Resource {
    constructor(name: string, args: SecretStoreCheckArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            storeCheckProvider,
            name,
            { ...args, kubeconfig: args.kubeconfig === undefined ? undefined : pulumi.secret(args.kubeconfig) },
            opts,
        );
    }
}
