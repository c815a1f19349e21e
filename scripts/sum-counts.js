// Prints "N passed, N failed" from the count lines mocha-count-reporter.js wrote; a suite that wrote no line
// (it crashed before finishing) counts as one failure, so a silent crash never reads as green. With
// --fail-on-skipped (CI, where every test must run) any skipped test fails the run as well.
"use strict";
const fs = require("fs");
const args = process.argv.slice(2);
const failOnSkipped = args[0] === "--fail-on-skipped";
const [file, ...expectedSuites] = failOnSkipped ? args.slice(1) : args;
const lines = fs.existsSync(file)
    ? fs
          .readFileSync(file, "utf8")
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l))
    : [];
let passed = 0;
let failed = 0;
let skipped = 0;
for (const l of lines) {
    passed += l.passes;
    failed += l.failures;
    skipped += l.pending;
    console.log(`  ${l.suite}: ${l.passes} passed, ${l.failures} failed, ${l.pending} skipped`);
}
for (const suite of expectedSuites) {
    if (!lines.some((l) => l.suite === suite)) {
        console.log(`  ${suite}: did not finish (counted as 1 failure)`);
        failed += 1;
    }
}
if (failOnSkipped && skipped > 0) {
    console.log(
        `  ${skipped} test(s) skipped: in CI every test must run (install what the skipped ones need)`,
    );
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exitCode = failed > 0 || (failOnSkipped && skipped > 0) ? 1 : 0;
