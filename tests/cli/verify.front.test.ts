// `verify --front`: the front-serves-master check on real groups with real fronts (Debian's
// haproxy, started as the lab starts them). Two groups, a and b, each with its front; a is checked,
// and b's front stands in for a front that leads elsewhere (another group's master, or nothing).

import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { UsageError } from "../../cli/command";
import { parseVerifyArgs, runVerify } from "../../cli/verify";
import { MASTER_NAME } from "../../facts/operator";
import { FRONT_CHECK_NAMES, HealthReport } from "../../health/report";
import { LabFront, startFront, stopFront } from "../../lab/front";
import { labVerifyCommand } from "../../lab/stackLab";
import { LabGroup, startGroup, stopGroup } from "../../lab/redisLab";
import { check, quickSpec, until } from "../support/health";

const PASSWORD = "front-pw";
const at = (server: { host?: string; port: number }) => `${server.host ?? "127.0.0.1"}:${server.port}`;

describe("cli: verify --front", function () {
    this.timeout(30_000);
    let root: string;
    let a: LabGroup;
    let b: LabGroup;
    let aFront: LabFront;
    let bFront: LabFront;
    /** The flags that check group a, reached directly, before --front. */
    let args: string[];

    before(async () => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "redis-ha-verify-front-"));
        [a, b] = await Promise.all([
            startGroup(quickSpec({ name: "a", password: PASSWORD }), root),
            startGroup(quickSpec({ name: "b", password: PASSWORD }), root),
        ]);
        [aFront, bFront] = await Promise.all([a, b].map((group) => startFront(group, { dir: path.join(group.dir, "front") })));
        const rest = `--master-name ${MASTER_NAME} --expect-policy noeviction --expect-redis 2 --expect-sentinels 1`;
        args = ["--sentinel", at(a.sentinels[0]), ...`${rest} --password-env LAB_FRONT_PASSWORD --timeout 2`.split(" ")];
        process.env.LAB_FRONT_PASSWORD = PASSWORD;
    });
    after(async () => {
        delete process.env.LAB_FRONT_PASSWORD;
        for (const front of [aFront, bFront]) if (front) stopFront(front);
        await Promise.all([a, b].filter(Boolean).map(stopGroup));
        fs.rmSync(root, { recursive: true, force: true });
    });

    /** Group a checked once with `--front fronts`. */
    const withFront = (...fronts: string[]) => runVerify(parseVerifyArgs([...args, "--front", fronts.join(",")]));
    const frontCheck = (report: HealthReport) => check(report, FRONT_CHECK_NAMES[0]);

    it("parses --front with either reach, and refuses what is not host:port", () => {
        assert.deepStrictEqual(parseVerifyArgs([...args, "--front", "10.0.0.1:6379,10.0.0.2:6379"]).fronts, [
            "10.0.0.1:6379",
            "10.0.0.2:6379",
        ]);
        assert.strictEqual(parseVerifyArgs(args).fronts, undefined);
        const kube = parseVerifyArgs(["--namespace", "redis", "--name", "auth-redis", ...args.slice(2), "--front", "10.0.0.1:6379"]);
        assert.deepStrictEqual(kube.fronts, ["10.0.0.1:6379"]);
        for (const [bad, why] of [
            [[...args, "--front", "10.0.0.1"], /--front: "10.0.0.1" is not host:port/],
            [[...args, "--front", ","], /--front takes at least one HOST:PORT/],
        ] as Array<[string[], RegExp]>) {
            assert.throws(
                () => parseVerifyArgs(bad),
                (error: Error) => error instanceof UsageError && why.test(error.message),
                bad.join(" "),
            );
        }
    });

    it("holds through the group's own front, and is not reported without --front", async () => {
        const report = await withFront(at(aFront));
        assert.strictEqual(report.healthy, true, JSON.stringify(report.checks));
        assert.strictEqual(report.checks.at(-1)?.name, "front-serves-master");
        assert.match(frontCheck(report).detail, new RegExp(`^${at(aFront)} reaches the master ${at(a.redis[0])} \\(run_id \\w{8}…\\)$`));
        const without = await runVerify(parseVerifyArgs(args));
        assert.strictEqual(without.healthy, true);
        assert.strictEqual(without.checks.length, 14);
        assert.ok(!without.checks.some((c) => c.name === "front-serves-master"));
    });

    it("is in the verify command the lab prints for a group with a front, and holds there", async () => {
        const printed = labVerifyCommand({ ...a, front: aFront });
        assert.match(printed, new RegExp(` --front ${at(aFront)} `));
        assert.doesNotMatch(labVerifyCommand(a), /--front/);
        // The printed arguments, as the shell would split them (none is quoted after `--`).
        const report = await runVerify(
            parseVerifyArgs(
                printed
                    .split(" -- ")[1]
                    .split(" ")
                    .map((arg) => (arg === "REDIS_PASSWORD" ? "LAB_FRONT_PASSWORD" : arg)),
            ),
        );
        assert.strictEqual(report.healthy, true, JSON.stringify(report.checks));
        assert.strictEqual(frontCheck(report).ok, true);
    });

    it("fails naming a front that leads to another group's master, or to a replica", async () => {
        const stranger = await withFront(at(aFront), at(bFront));
        assert.strictEqual(stranger.healthy, false);
        assert.match(
            frontCheck(stranger).detail,
            new RegExp(`^${at(bFront)} reached run_id \\w{8}… not the master's \\(${at(a.redis[0])}, `),
        );
        // A replica's own address where a front should be: what a front that routes by role alone
        // would hand out in the seconds it takes to see a failover.
        const replica = await withFront(at(a.redis[1]));
        assert.match(frontCheck(replica).detail, new RegExp(`^${at(a.redis[1])} reached a replica \\(run_id \\w{8}…\\)$`));
    });

    it("fails naming a front whose gate hears no sentinel majority", async () => {
        // b's only sentinel stops answering: b's front serves nothing, while a's checks go on.
        process.kill(b.sentinels[0].pid, "SIGSTOP");
        try {
            let detail = "";
            await until(
                async () => {
                    detail = frontCheck(await withFront(at(bFront))).detail;
                    return / closed: the front serves nothing/.test(detail);
                },
                5000,
                `b's front closing (last: ${detail})`,
            );
            assert.match(
                detail,
                new RegExp(`^${at(bFront)} closed: the front serves nothing \\(its gate hears no sentinel majority\\?\\)`),
            );
        } finally {
            process.kill(b.sentinels[0].pid, "SIGCONT");
        }
    });

    it("fails naming a stopped front, and a killed one", async () => {
        process.kill(aFront.pid, "SIGSTOP");
        try {
            const stopped = await withFront(at(aFront));
            assert.strictEqual(stopped.healthy, false);
            assert.match(
                frontCheck(stopped).detail,
                new RegExp(`^${at(aFront)} gave no answer: the front, or the server behind it, hangs`),
            );
        } finally {
            process.kill(aFront.pid, "SIGCONT");
        }
        stopFront(bFront);
        await until(async () => /refused/.test(frontCheck(await withFront(at(bFront))).detail), 2000, "b's front gone");
        assert.match(frontCheck(await withFront(at(bFront))).detail, new RegExp(`^${at(bFront)} refused: no front listens there`));
    });
});
