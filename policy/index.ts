// The redis-ha policy pack: `pulumi preview --policy-pack policy [--policy-pack-config policy/prod.json]`.
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("redis-ha", { policies });
