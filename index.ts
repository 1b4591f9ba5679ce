// redis-ha: purpose-built Redis + Sentinel groups on a kubeadm cluster, run by the Spotahome
// operator. The program is program/redisHa.ts; this file gives it the stack's config and exports
// what it returns as the stack outputs (program/redisHa.ts documents each).

import * as pulumi from "@pulumi/pulumi";
import { loadConfig } from "./config/load";
import { redisHa } from "./program/redisHa";

export const { instances, appEnv, appSentinelEnv, operatorNamespace, appEnvSecret, managedNodes, vcpuQuota, nodeZones, backups } = redisHa(
    loadConfig(),
    pulumi.getStack(),
);
