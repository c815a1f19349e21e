// Mocha's spec output, plus the run's real counts appended as one JSON line to $MOCHA_COUNTS_FILE
// (CI does not read mocha's summary; .ci/run adds these lines up into "N passed, N failed").
"use strict";
const fs = require("fs");
const Mocha = require("mocha");

class CountReporter extends Mocha.reporters.Spec {
    constructor(runner, options) {
        super(runner, options);
        runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
            const file = process.env.MOCHA_COUNTS_FILE;
            if (file) {
                const { passes, failures, pending } = runner.stats;
                fs.appendFileSync(
                    file,
                    `${JSON.stringify({ suite: process.env.MOCHA_SUITE || "unit", passes, failures, pending })}\n`,
                );
            }
        });
    }
}

module.exports = CountReporter;
