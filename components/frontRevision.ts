// The front's part of a group's revision (providers/groupRevision.ts): what RedisFront renders,
// hashed. Apart from components/redisFront.ts so that redisFailover.ts, which redisFront.ts imports,
// need not import it back.

import { InstanceConfig } from "../config/types";
import { sha256Of } from "../providers/groupRevision";
import { configChecksum, frontConfigFiles, frontDeploymentSpec, FrontRenderOptions, frontServiceSpec } from "./redisFront";

/**
 * sha256 (hex) of the front's rendered Deployment and Service specs. The Deployment's pod template
 * carries the configuration's checksum (`CONFIG_CHECKSUM_ANNOTATION`), so haproxy.cfg and the gate
 * are covered as well as the image, resources and replicas.
 */
export function frontRevision(instance: InstanceConfig, render: FrontRenderOptions): string {
    const checksum = configChecksum(frontConfigFiles(instance, render.namespace));
    return sha256Of({
        deployment: frontDeploymentSpec(instance, render, checksum),
        service: frontServiceSpec(instance.name),
    });
}
