// Full tier: a password rotation of a data-holding group (auth's shape) in the motion lab, phase by
// phase as `up` applies them (lab/rotation.ts), while three clients write through the front's
// Service: one with the app env's URL (the old password until `apps`), one with the new password
// from `accept` on, one keeping a connection made with the old password. No request fails, no
// acknowledged write is lost, no replica's link is ever seen down, and at the end only the new
// password is accepted and replicas re-sync with it.

import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { drillGroupSpec } from "../../bench/drillGroup";
import { rotationTrial } from "../../bench/rotationDrill";

describe("full: password rotation with writes through the front", function () {
    this.timeout(300_000);
    let root: string;
    before(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), "redis-ha-rotation-"))));
    after(() => fs.rmSync(root, { recursive: true, force: true }));

    it("accept, replicate, apps, retire: no failed request, no acknowledged write lost, replication never down", async () => {
        const spec = drillGroupSpec("rotation", { downAfterMilliseconds: 5000, failoverTimeout: 10_000 });
        const trial = await rotationTrial(spec, root, 61, { passIntervalMs: 3000, phaseHoldMs: 7000, frontGraceMs: 3000 });
        for (const client of trial.clients) {
            assert.ok(client.requests > 50, `${client.name}: only ${client.requests} requests`);
            assert.deepStrictEqual(client.failed.slice(0, 5), [], `${client.name}: ${client.failed.length} failed`);
        }
        assert.strictEqual(trial.lost, 0, "acknowledged writes lost");
        assert.ok(trial.linkReads > 100, `master_link_status read only ${trial.linkReads} times`);
        assert.deepStrictEqual(trial.linkBroken, [], "replication seen broken");
        assert.ok(trial.oldRefused, "a server still accepts the old password");
        assert.ok(trial.newAccepted, "a server refuses the new password");
        assert.ok(trial.resyncedWithNew, "replicas did not re-sync with the new masterauth");
    });

    it("and the harness sees what a skipped phase does: retire straight after accept fails the old URL's requests", async () => {
        const spec = drillGroupSpec("skipped", { downAfterMilliseconds: 5000, failoverTimeout: 10_000 });
        const trial = await rotationTrial(spec, root, 62, {
            passIntervalMs: 3000,
            phaseHoldMs: 4000,
            frontGraceMs: 1000,
            phases: ["accept", "retire"],
        });
        const [oldUrl] = trial.clients;
        assert.ok(oldUrl.failed.length > 10, `only ${oldUrl.failed.length} failed`);
        assert.match(oldUrl.failed[0], /WRONGPASS/);
    });
});
