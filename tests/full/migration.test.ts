// Full tier: a standalone Redis moved into a group started with bootstrapFrom, by the README's
// runbook ("Moving a Redis in", lab/migration.ts moveIn): the operator's bootstrap passes
// (lab/operator/pass.ts), the `npm run migrate` steps as written there, and an application writing
// through the cut-over.

import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { MASTER_NAME } from "../../facts/operator";
import { fillStandalone, moveIn, runMigrate, Standalone, startStandalone, stopStandalone } from "../../lab/migration";
import { MotionLab, startMotionLab, stopMotionLab } from "../../lab/motionLab";
import { freePort, HOST } from "../../lab/redisLab";
import { quickSpec, serverCall, until } from "../support/health";
import { PROJECT_DIR } from "../support/stacks";

const BLOCK = 71;
const KEYS = 100_000;

/** The `npm run migrate` steps of README.md's runbook, in order. */
function readmeMigrateSteps(): string[] {
    const readme = fs.readFileSync(path.join(PROJECT_DIR, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Moving a Redis in"));
    const runbook = section.slice(0, section.indexOf("\n## ", 1));
    return [...runbook.matchAll(/^npm run migrate -- (\w+)/gm)].map((match) => match[1]);
}

const info = async (server: { host?: string; port: number }, password: string, section: string) =>
    String(await serverCall(server, password, "INFO", section));

describe("full: moving a standalone Redis in (bootstrapFrom), by the README's runbook", function () {
    this.timeout(300_000);
    let root: string;
    let source: Standalone;
    let lab: MotionLab;
    const log: string[] = [];
    const password = "group-password-1";

    before(async () => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "redis-ha-migration-"));
        const port = await freePort();
        // The operator dials its pods on the bootstrap port (config/schema/bootstrap.ts): the same port.
        source = await startStandalone({ host: `127.77.${BLOCK}.200`, port, password: "source-password", dir: path.join(root, "source") });
        const spec = quickSpec({ name: "moved", redisCount: 3, sentinelCount: 3, password, holdsData: true, appendonly: true });
        lab = await startMotionLab(spec, root, {
            block: BLOCK,
            redisPort: port,
            passIntervalMs: 2000,
            bootstrapNode: { host: source.host, port, allowSentinels: true },
            log: (line) => log.push(line),
        });
    });
    afterEach(function () {
        // What the operator model said, to see where a failing run stopped.
        if (this.currentTest?.state === "failed") console.log(log.slice(-40).join("\n"));
    });
    after(async () => {
        if (lab) await stopMotionLab(lab);
        if (source) stopStandalone(source);
        fs.rmSync(root, { recursive: true, force: true });
    });

    it(`moves ${KEYS} keys in with none lost while an application writes through the cut-over`, async () => {
        const filled = await fillStandalone(source, KEYS);
        lab.model.start();
        const moved = await moveIn(lab, source, PROJECT_DIR);
        assert.deepStrictEqual(moved.steps, readmeMigrateSteps(), "the runbook run is the README's, step by step");
        assert.strictEqual(await serverCall(source, source.password, "PING"), "PONG", "the source's own password still works");
        assert.match(moved.outputs[1], /every pod has caught up; the sentinels are in quorum/);
        // With bootstrapNode gone, the operator left the group following the source until the cut-over.
        assert.ok(lab.model.outcomes.some((outcome) => /no master found, waiting/.test(outcome)));
        assert.ok(!lab.model.outcomes.some((outcome) => /the oldest made master/.test(outcome)), lab.model.outcomes.join("\n"));

        // The promoted pod is the one master; the others and every sentinel follow it.
        const [promoted, ...others] = lab.model.redis.map((pod) => pod.server);
        assert.match(await info(promoted, password, "replication"), /role:master/);
        for (const replica of others) {
            await until(async () => /master_link_status:up/.test(await info(replica, password, "replication")), 20_000, "replica link up");
        }
        for (const sentinel of lab.model.sentinels) {
            const named = (await serverCall(sentinel.server, undefined, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME)) as string[];
            assert.deepStrictEqual(named, [promoted.host ?? HOST, String(promoted.port)]);
        }
        // The source refuses writes now.
        await assert.rejects(serverCall(source, source.password, "SET", "late", "1"), /NOREPLICAS/);

        // Every key of the source, and every acknowledged write, whichever server took it.
        const keyspace = await info(promoted, password, "keyspace");
        assert.strictEqual(Number(/^db3:keys=(\d+)/m.exec(keyspace)?.[1]), filled.db3, `db3 keys: ${keyspace}`);
        const jwt = Number(await serverCall(promoted, password, "EVAL", "return #redis.call('KEYS', 'jwt:*')", "0"));
        assert.strictEqual(jwt, filled.db0, "every JWT blacklist key");
        const { writer } = moved;
        const lost: string[] = [];
        for (let from = 0; from < writer.acked.length; from += 1000) {
            const keys = writer.acked.slice(from, from + 1000).map((ack) => ack.key);
            const values = (await serverCall(promoted, password, "MGET", ...keys)) as Array<string | null>;
            keys.forEach((key, index) => values[index] === null && lost.push(key));
        }
        assert.deepStrictEqual(lost, [], `acknowledged writes lost: ${lost.length} of ${writer.acked.length}`);
        assert.ok(
            writer.acked.some((ack) => ack.on === "source"),
            "the application wrote to the source before the cut-over",
        );
        console.log(
            `      ${KEYS} keys moved; ${writer.acked.length} writes acknowledged, 0 lost; ` +
                `last on the source to first through the front: ${writer.outageMs()} ms`,
        );

        // The operator's next passes find one master and leave it so.
        const from = lab.model.outcomes.length;
        await until(async () => lab.model.outcomes.slice(from).some((outcome) => /redis current/.test(outcome)), 20_000, "a healthy pass");
        assert.match(await info(promoted, password, "replication"), /role:master/);
    });

    it("prepare refuses a source whose default user takes no password, saying why", async () => {
        const open = await startStandalone({
            host: `127.77.${BLOCK}.201`,
            port: await freePort(),
            password: "x",
            dir: path.join(root, "open"),
        });
        try {
            await serverCall(open, "x", "CONFIG", "SET", "requirepass", "");
            const run = await runMigrate(PROJECT_DIR, ["prepare", "--source", `${open.host}:${open.port}`], {
                REDIS_PASSWORD: password,
                SOURCE_REDIS_PASSWORD: "",
            });
            assert.strictEqual(run.code, 1, run.output);
            assert.match(run.output, /takes no password/);
            assert.doesNotMatch(run.output, /\n\s+at /, "no stack trace");
        } finally {
            stopStandalone(open);
        }
    });
});
