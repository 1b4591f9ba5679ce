// The front of one instance (render/front.ts says what it is and why): HAProxy pods that route
// every connection to the current master. Application URLs point here unless
// `instances.<p>.front.enabled` is false.

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { InstanceConfig } from "../config/types";
import {
    addressBookName,
    addressBookSpec,
    configChecksum,
    configMapName,
    frontConfigFiles,
    frontDeploymentAnnotations,
    frontDeploymentSpec,
    frontDisruptionBudgetSpec,
    frontEndpoint,
    frontLabels,
    frontName,
    FrontRenderOptions,
    frontServiceSpec,
} from "../render/front";

/** Arguments of a `RedisFront` component. */
export interface RedisFrontArgs {
    /** The validated instance settings. */
    instance: InstanceConfig;
    /** Rendering settings shared by all instances. */
    render: FrontRenderOptions;
    /** What every object waits for: the instance's RedisFailover (its Secret holds the password). */
    dependsOn: pulumi.Resource[];
}

/** The front of one instance; `endpoint` is where its applications connect. */
export class RedisFront extends pulumi.ComponentResource {
    /** host:port of the front's Service. */
    readonly endpoint: string;
    /**
     * `endpoint`, once the Service exists and the Deployment is ready (Pulumi waits for its pods):
     * URLs that wait for it are not published to applications before the front can answer.
     */
    readonly readyEndpoint: pulumi.Output<string>;
    /** The HAProxy Deployment. */
    readonly deployment: k8s.apps.v1.Deployment;

    constructor(name: string, args: RedisFrontArgs, opts?: pulumi.ComponentResourceOptions) {
        super("redis-ha:k8s:RedisFront", name, {}, opts);
        const { instance, render } = args;
        const metadata = (objectName: string) => ({ name: objectName, namespace: render.namespace, labels: frontLabels(instance) });
        const children = { parent: this, dependsOn: args.dependsOn };

        const addressBooks = (["redis", "sentinel"] as const).map(
            (component) =>
                new k8s.core.v1.Service(
                    `${name}-${component}`,
                    { metadata: metadata(addressBookName(instance.name, component)), spec: addressBookSpec(instance.name, component) },
                    children,
                ),
        );
        const files = frontConfigFiles(instance, render.namespace);
        const checksum = configChecksum(files);
        const config = new k8s.core.v1.ConfigMap(
            `${name}-config`,
            { metadata: metadata(configMapName(instance.name, checksum)), data: files },
            children,
        );
        this.deployment = new k8s.apps.v1.Deployment(
            `${name}-deployment`,
            {
                metadata: { ...metadata(frontName(instance.name)), annotations: frontDeploymentAnnotations(instance) },
                spec: frontDeploymentSpec(instance, render, checksum),
            },
            { ...children, dependsOn: [...args.dependsOn, config, ...addressBooks] },
        );
        new k8s.policy.v1.PodDisruptionBudget(
            `${name}-pdb`,
            { metadata: metadata(frontName(instance.name)), spec: frontDisruptionBudgetSpec(instance.name) },
            children,
        );
        const service = new k8s.core.v1.Service(
            `${name}-service`,
            { metadata: metadata(frontName(instance.name)), spec: frontServiceSpec(instance.name) },
            children,
        );
        this.endpoint = frontEndpoint(instance.name, render.namespace);
        this.readyEndpoint = pulumi.all([service.metadata, this.deployment.metadata]).apply(() => this.endpoint);

        this.registerOutputs({ endpoint: this.endpoint });
    }
}
