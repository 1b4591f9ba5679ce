// `verify --members`: the group's addresses for the membership check on the direct path.

import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { UsageError } from "../../cli/command";
import { parseVerifyArgs, runVerify } from "../../cli/verify";
import { MASTER_NAME } from "../../facts/operator";
import { LabGroup, startGroup, stopGroup } from "../../lab/redisLab";
import { check, labMembers, quickSpec, verify } from "../support/health";

const PASSWORD = "members-pw";
const env = { LAB_MEMBERS_PASSWORD: PASSWORD };

describe("cli: verify --members", function () {
    this.timeout(30_000);
    let root: string;
    let group: LabGroup;
    /** The flags for the quickSpec group, reached directly, before --members. */
    let args: string[];

    before(async () => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "redis-ha-verify-members-"));
        group = await startGroup(quickSpec({ name: "members", password: PASSWORD }), root);
        const rest = `--master-name ${MASTER_NAME} --expect-policy noeviction --expect-redis 2 --expect-sentinels 1`;
        args = [
            "--sentinel",
            `127.0.0.1:${group.sentinels[0].port}`,
            ...`${rest} --password-env LAB_MEMBERS_PASSWORD --timeout 3`.split(" "),
        ];
        process.env.LAB_MEMBERS_PASSWORD = PASSWORD;
    });
    after(async () => {
        delete process.env.LAB_MEMBERS_PASSWORD;
        await stopGroup(group);
        fs.rmSync(root, { recursive: true, force: true });
    });

    it("parses --members with --sentinel, and refuses it otherwise", () => {
        const command = parseVerifyArgs([...args, "--members", "10.0.0.1:6379,10.0.0.2:6379"]);
        assert.deepStrictEqual(command.members, ["10.0.0.1:6379", "10.0.0.2:6379"]);
        assert.strictEqual(parseVerifyArgs(args).members, undefined);
        for (const [bad, why] of [
            [[...args, "--members", "10.0.0.1"], /--members: "10.0.0.1" is not host:port/],
            [
                ["--namespace", "redis", "--name", "auth-redis", ...args.slice(2), "--members", "10.0.0.1:6379"],
                /--members goes with --sentinel/,
            ],
        ] as Array<[string[], RegExp]>) {
            assert.throws(
                () => parseVerifyArgs(bad),
                (error: Error) => error instanceof UsageError && why.test(error.message),
                bad.join(" "),
            );
        }
    });

    it("holds with the group's members, and does not apply without them", async () => {
        const members = labMembers(group);
        const report = await runVerify(parseVerifyArgs([...args, "--members", members.join(",")]));
        assert.strictEqual(report.healthy, true, JSON.stringify(report.checks));
        assert.match(check(report, "membership").detail, /is among the members given$/);
        const without = await runVerify(parseVerifyArgs(args));
        assert.strictEqual(without.healthy, true);
        assert.match(check(without, "membership").detail, /^not applicable: /);
    });

    it("exits 1 naming the sentinel and an address that is not among the members", () => {
        // The replica left out of --members: the sentinel knows it, so it is foreign to that list.
        const replica = `127.0.0.1:${group.redis[1].port}`;
        const run = verify([...args, "--members", `127.0.0.1:${group.redis[0].port}`], env);
        assert.strictEqual(run.code, 1, run.stdout + run.stderr);
        const sentinel = `127.0.0.1:${group.sentinels[0].port}`;
        assert.match(
            run.stdout,
            new RegExp(`^FAIL {2}membership +sentinel ${sentinel} knows replica ${replica}, which is not among the members given$`, "m"),
        );
    });
});
