// Jest reporter that leaves one JSON file of counts per run in GS_TEST_RESULTS_DIR (set by the test
// command only), so that it can print a single closing line over every project and target it ran.
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');


class SummaryReporter {
  constructor(globalConfig) {
    this.dir = process.env["GS_TEST_RESULTS_DIR"];
    this.name = (globalConfig.rootDir || 'jest').split('/').slice(-2).join('-');
  }

  onRunComplete(_contexts, results) {
    if (!this.dir) return;
    mkdirSync(this.dir, { recursive: true });
    const file = join(this.dir, `${this.name}-${process.pid}-${Date.now()}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        project: this.name,
        passed: results.numPassedTests,
        failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
        skipped: results.numPendingTests + results.numTodoTests,
      }),
    );
  }
}

module.exports = SummaryReporter;
