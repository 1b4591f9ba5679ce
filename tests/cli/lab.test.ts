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

describe("tools: lab", function () {
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

    it("exits 2 on bad usage", () => {
        assert.strictEqual(lab(os.tmpdir(), "--down").status, 2);
    });
});
