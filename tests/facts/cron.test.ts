import * as assert from "assert";
import { longestGapMinutes, parseCron } from "../../facts/cron";

describe("facts/cron: the longest time between two runs", () => {
    const gapHours = (schedule: string) => {
        const parsed = parseCron(schedule);
        assert.ok(typeof parsed !== "string", String(parsed));
        return longestGapMinutes(parsed) / 60;
    };
    it("reads every 6 hours, daily, weekdays, weekly and monthly schedules", () => {
        assert.strictEqual(gapHours("17 */6 * * *"), 6);
        assert.strictEqual(gapHours("0 3 * * *"), 24);
        assert.strictEqual(gapHours("*/15 * * * *"), 0.25);
        assert.strictEqual(gapHours("0 3 * * 1-5"), 72, "Friday to Monday");
        assert.strictEqual(gapHours("0 0 * * 0"), 168);
        assert.strictEqual(gapHours("0 3 1 * *"), 31 * 24);
        assert.strictEqual(gapHours("0 3,15 * * *"), 12);
    });
});
