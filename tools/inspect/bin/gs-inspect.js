#!/usr/bin/env node
// The frame inspector, built: compiled JavaScript under dist/inspect, loaded without ts-node. The build
// runs at `npm ci` (the workspace's prepare script) and again here whenever a source file is newer than
// the build, so a checkout that changed the codecs never runs an old inspector.
'use strict';
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');
const Module = require('node:module');

const ROOT = join(__dirname, '..', '..', '..');
const DIST = join(ROOT, 'dist', 'inspect');
const MAIN = join(DIST, 'tools', 'inspect', 'src', 'inspect.js');
const SOURCES = ['libs/protocols/src', 'libs/contracts/src', 'tools/inspect/src'].map((d) => join(ROOT, d));

function newestSource(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newestSource(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts')) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

function build() {
  const { spawnSync } = require('node:child_process');
  const tsc = require.resolve('typescript/bin/tsc', { paths: [ROOT] });
  const r = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tools', 'inspect', 'tsconfig.build.json')], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) {
    process.stderr.write('gs-inspect: building the inspector failed\n');
    process.exit(2);
  }
}

if (process.argv[2] === '--build') {
  build();
  process.exit(0);
}
if (!existsSync(MAIN) || Math.max(...SOURCES.map(newestSource)) > statSync(MAIN).mtimeMs) build();

// The workspace's own libraries (@gridstation/x) resolve to their compiled sources.
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const m = /^@gridstation\/([a-z-]+)$/.exec(request);
  return resolve.call(this, m ? join(DIST, 'libs', m[1], 'src', 'index.js') : request, ...rest);
};
require(MAIN);
