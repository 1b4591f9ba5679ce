// The rendered redis command, run by a real redis-server with the operator's redis.conf and no
// CONFIG SET at all: what a pod re-created from the StatefulSet template runs until the operator's
// next completed pass.

import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import IORedis from "ioredis";
import * as os from "os";
import * as path from "path";
import { OPERATOR_REDIS_COMMAND } from "../../facts/operator";
import { redisCommand } from "../../render/redisConfig";
import { parseStackConfigOrThrow } from "../../config/parse";
import { operatorRedisConf } from "../../lab/operator/steps";
import { answersPing, freePort, killOnExit, waitFor } from "../../lab/redisLab";
import { stackConfig } from "../support/stacks";

const PASSWORD = "startup-limits-1";

/** Starts redis-server as the pod does, with `args` after the config file; returns a client and a stop. */
async function startAsPod(dir: string, args: string[]) {
    const port = await freePort();
    const config = path.join(dir, "redis.conf");
    fs.writeFileSync(config, [...operatorRedisConf(port, PASSWORD), "bind 127.0.0.1", `dir ${dir}`, ""].join("\n"));
    const child = spawn("redis-server", [config, ...args], { stdio: "ignore" });
    killOnExit(child);
    await waitFor(() => answersPing(port), 10_000, `redis-server on ${port}`);
    const client = new IORedis({ host: "127.0.0.1", port, password: PASSWORD, lazyConnect: true, maxRetriesPerRequest: 0 });
    await client.connect();
    return {
        get: async (parameter: string) => ((await client.call("CONFIG", "GET", parameter)) as string[])[1],
        stop: () => {
            client.disconnect();
            child.kill("SIGKILL");
        },
    };
}

describe("render: the rendered redis command in a real redis-server, before any CONFIG SET", () => {
    let root: string;
    before(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), "redis-ha-startup-"))));
    after(() => fs.rmSync(root, { recursive: true, force: true }));

    for (const stack of ["dev", "prod"]) {
        const config = parseStackConfigOrThrow(stackConfig(stack));
        for (const instance of config.instances) {
            it(`${stack}/${instance.purpose}: maxmemory, policy, min-replicas and AOF are in force from start-up`, async () => {
                const command = redisCommand(instance);
                const dir = fs.mkdtempSync(path.join(root, `${stack}-${instance.purpose}-`));
                const server = await startAsPod(dir, command.slice(OPERATOR_REDIS_COMMAND.length));
                try {
                    assert.strictEqual(Number(await server.get("maxmemory")), instance.redis.maxmemoryBytes);
                    assert.strictEqual(await server.get("maxmemory-policy"), instance.redis.maxmemoryPolicy);
                    assert.strictEqual(Number(await server.get("min-replicas-to-write")), instance.redis.minReplicasToWrite ?? 0);
                    assert.strictEqual(Number(await server.get("min-replicas-max-lag")), instance.redis.minReplicasMaxLag);
                    // Redis's default is 5: a master needing a replica must not wait for more before syncing one.
                    const needsReplica = (instance.redis.minReplicasToWrite ?? 0) > 0;
                    assert.strictEqual(await server.get("repl-diskless-sync-delay"), needsReplica ? "0" : "5");
                    const aof = instance.holdsData || instance.redis.appendonly;
                    assert.strictEqual(await server.get("appendonly"), aof ? "yes" : "no");
                    if (aof) assert.strictEqual(await server.get("appendfsync"), instance.redis.appendfsync);
                } finally {
                    server.stop();
                }
            });
        }
    }

    it("the operator's default command alone leaves them at redis.conf's defaults (what a re-created pod ran before)", async () => {
        const server = await startAsPod(fs.mkdtempSync(path.join(root, "default-")), []);
        try {
            assert.strictEqual(await server.get("maxmemory"), "0");
            assert.strictEqual(await server.get("maxmemory-policy"), "noeviction");
            assert.strictEqual(await server.get("min-replicas-to-write"), "0");
            assert.strictEqual(await server.get("appendonly"), "no");
        } finally {
            server.stop();
        }
    });
});
