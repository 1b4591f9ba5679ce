// `instances.<p>.bootstrapFrom`: start the group as replicas of a Redis outside it (a standalone
// being moved in), rendered as the RedisFailover's `spec.bootstrapNode`.

import { dnsSubdomainProblem } from "../../facts/patterns";
import { REDIS_PORT } from "../../facts/operator";
import { grammar, int, strict } from "./common";

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

/** A host the pods can dial: an IPv4 address or a DNS name. */
export function bootstrapHostProblem(host: string): string | undefined {
    if (IPV4.test(host)) return undefined;
    if (/^[\d.]+$/.test(host)) return "is not an IPv4 address (four numbers 0-255, dot-separated)";
    return dnsSubdomainProblem(host);
}

export const bootstrapFromSchema = strict({
    host: grammar(bootstrapHostProblem, "is required: the address of the Redis to copy from"),
    // The operator dials its own pods on this port when it makes them replicas
    // (spotahome/redis-operator service/redis/client.go MakeSlaveOfWithPort: the pod's IP with the
    // bootstrap port), so it must be the port the pods listen on.
    port: int(1, 65535)
        .superRefine((port, ctx) => {
            if (port !== REDIS_PORT)
                ctx.addIssue({
                    code: "custom",
                    message:
                        `must be ${REDIS_PORT}, got ${port}: the operator connects to its own pods on the bootstrap port to make ` +
                        `them replicas, and they listen on ${REDIS_PORT}; let the source listen on ${REDIS_PORT} too`,
                });
        })
        .default(REDIS_PORT),
}).optional();
