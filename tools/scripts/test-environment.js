// The test setup's part of the test environment: where this checkout is. Jest loads this file before
// every test file (jest.preset.js, setupFiles); @gridstation/testing derives the rest (the infra script,
// the servers of tools/infra and their ports from the same GS_*_PORT variables as infra.sh) from it.
'use strict';
const { join } = require('node:path');

globalThis.__GS_TEST_ENV__ = { repoRoot: join(__dirname, '..', '..') };
