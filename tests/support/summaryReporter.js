// Mocha's spec reporter plus one closing line, `N passed, N failed`, the line CI reads. It is
// written when the process exits, after any exit-time notice another library prints.
"use strict";
const Mocha = require("mocha");
const { EVENT_RUN_END } = Mocha.Runner.constants;

class SummaryReporter extends Mocha.reporters.Spec {
    constructor(runner, options) {
        super(runner, options);
        runner.once(EVENT_RUN_END, () => {
            const { passes, failures, pending } = runner.stats;
            const line = `${passes} passed, ${failures} failed${pending ? `, ${pending} skipped` : ""}\n`;
            process.once("exit", () => process.stdout.write(line));
        });
    }
}

module.exports = SummaryReporter;
