// Full tier: `npm run lab` as a user runs it (real servers, fronts, daemons that outlive it).

import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { isAlive } from "../../lab/redisLab";
import { PROJECT_DIR } from "../support/stacks";

function lab(dir: string, ...args: string[]) {
    return spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(PROJECT_DIR, "cli", "lab.ts"), ...args], {
        cwd: PROJECT_DIR,
        encoding: "utf8",
        timeout: 90_000,
        env: { ...process.env, REDIS_HA_LAB_DIR: dir },
    });
}

describe("full: the lab command", function () {
    this.timeout(120_000);

    it("starts the dev stack's groups, checks them, prints appEnv, and --down stops every process", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "redis-ha-lab-"));
        try {
            const up = lab(dir, "--stack", "dev");
            assert.strictEqual(up.status, 0, up.stdout + up.stderr);
            const state = JSON.parse(fs.readFileSync(path.join(dir, "state.json"), "utf8"));
            const pids: number[] = state.groups.flatMap((g: { redis: Array<{ pid: number }>; sentinels: Array<{ pid: number }> }) =>
                [...g.redis, ...g.sentinels].map((s) => s.pid),
            );
            assert.strictEqual(pids.length, 6, "1 redis + 1 sentinel for each of 3 instances");
            pids.push(...state.groups.map((g: { front: { pid: number } }) => g.front.pid));
            assert.ok(pids.every(isAlive));
            assert.strictEqual(up.stdout.match(/^healthy: master/gm)?.length, 3);
            for (const name of [
                "AUTH_REDIS_BLACKLIST_URL",
                "AUTH_REDIS_OAUTH_STATE_URL",
                "REDIS_STREAMS_URL",
                "CELERY_RESULT_BACKEND",
                "IMAGE_REDIS_URL",
            ]) {
                assert.match(up.stdout, new RegExp(`^${name}=redis://default:[^@]+@127\\.0\\.0\\.1:\\d+/\\d+$`, "m"));
            }
            assert.match(up.stdout, /^IMAGE_REDIS_URL=.*\/6$/m);
            assert.match(up.stdout, /cache: 1 redis, 1 sentinel, 512mb allkeys-lru/);

            const again = lab(dir, "--stack", "dev");
            assert.strictEqual(again.status, 1, "a second lab is refused while one runs");
            assert.match(again.stderr, /is running; stop it first/);

            const down = lab(dir, "--stack", "dev", "--down");
            assert.strictEqual(down.status, 0, down.stderr);
            assert.ok(!pids.some(isAlive), "every process stopped");
            assert.ok(!fs.existsSync(path.join(dir, "state.json")));
        } finally {
            lab(dir, "--stack", "dev", "--down");
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("--json prints one document: appEnv through the fronts, every process, a verify command that passes", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "redis-ha-lab-"));
        try {
            const up = lab(dir, "--stack", "dev", "--json");
            assert.strictEqual(up.status, 0, up.stderr);
            const doc = JSON.parse(up.stdout) as {
                appEnv: Record<string, string>;
                instances: Record<string, { servers: Array<{ kind: string; pid: number; address: string }>; verify: string }>;
            };
            assert.deepStrictEqual(Object.keys(doc.instances), ["auth", "streams", "cache"]);
            for (const [purpose, { servers }] of Object.entries(doc.instances)) {
                assert.deepStrictEqual(
                    servers.map((s) => s.kind),
                    ["redis", "sentinel", "front"],
                    purpose,
                );
                assert.ok(servers.every((s) => isAlive(s.pid) && /^127\.0\.0\.1:\d+$/.test(s.address)));
            }
            // Applications are given the front, not a redis server.
            const front = doc.instances.auth.servers.find((s) => s.kind === "front")!.address;
            assert.match(doc.appEnv.AUTH_REDIS_OAUTH_STATE_URL, new RegExp(`^redis://default:[^@]+@${front.replace(/\./g, "\\.")}/3$`));
            const verify = spawnSync("bash", ["-c", doc.instances.cache.verify], { cwd: PROJECT_DIR, encoding: "utf8", timeout: 30_000 });
            assert.strictEqual(verify.status, 0, verify.stdout + verify.stderr);
            assert.match(verify.stdout, /^healthy: master/m);
            assert.match(verify.stdout, /^ok {4}front-serves-master +127\.0\.0\.1:\d+ reaches the master /m);
        } finally {
            lab(dir, "--stack", "dev", "--down");
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("exits 2 on bad usage", () => {
        assert.strictEqual(lab(os.tmpdir(), "--down").status, 2);
    });
});
