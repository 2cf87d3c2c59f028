#!/usr/bin/env node
// `npm start`: the station in embedded mode (every service in one process, the in-process bus, nothing
// external needed). Runs the TypeScript sources directly; configuration comes from GS_* variables.
'use strict';
const { spawn } = require('node:child_process');
const { join } = require('node:path');

const root = join(__dirname, '..', '..');
const child = spawn(
  process.execPath,
  ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', join(root, 'apps/station/src/main.ts')],
  {
    cwd: root,
    stdio: 'inherit',
    env: {
      // The demo run: the built-in simulator feeds the station and a summary line is printed every 5 s.
      // Every default can be overridden from the environment (GS_SIM_TERMINALS=0 runs the station alone).
      GS_SIM_TERMINALS: '100',
      GS_SIM_METERS: '8',
      GS_SIM_RATE: '1',
      // Every 2 minutes one simulated transformer area loses supply for 30 s (the console's grid page shows it).
      GS_SIM_OUTAGE_EVERY_MS: '120000',
      GS_SIM_OUTAGE_MS: '30000',
      GS_LOG_LEVEL: 'warn',
      GS_SUMMARY_INTERVAL_MS: '5000',
      ...process.env,
      TS_NODE_PROJECT: join(root, 'tsconfig.base.json'),
    },
  },
);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
