// Jest reporter that leaves one JSON file of counts per run under tmp/test-results, so that the test
// command can print a single closing line over every project and target it ran.
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

class SummaryReporter {
  constructor(globalConfig) {
    this.dir = join(__dirname, '..', '..', 'tmp', 'test-results');
    this.name = (globalConfig.rootDir || 'jest').split('/').slice(-2).join('-');
  }

  onRunComplete(_contexts, results) {
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
