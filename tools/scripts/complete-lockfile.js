#!/usr/bin/env node
// The registry mirror these machines use does not carry every platform's prebuilt binary (for example
// @swc/core-darwin-arm64 or @unrs/resolver-binding-win32-x64-msvc). npm then leaves those optional
// packages out of package-lock.json, and `npm ci` refuses the lock as out of sync. A lock written against
// the full registry lists them with their os/cpu/libc, and npm skips them on other platforms without
// downloading anything. This script adds exactly those entries. Run it after changing dependencies:
//   npm install && node tools/scripts/complete-lockfile.js
'use strict';
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const file = join(__dirname, '..', '..', 'package-lock.json');
const lock = JSON.parse(readFileSync(file, 'utf8'));
const pkgs = lock.packages;

const OS = ['darwin', 'linux', 'win32', 'freebsd', 'android', 'openharmony', 'sunos', 'aix', 'netbsd', 'openbsd'];
const CPU = { x64: 'x64', arm64: 'arm64', arm: 'arm', armv7: 'arm', ia32: 'ia32', ppc64: 'ppc64', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64', wasm32: 'wasm32', mips64el: 'mips64el' };

function platformOf(name) {
  const parts = name.split('/').pop().split('-');
  const os = parts.find((p) => OS.includes(p));
  const cpuKey = parts.find((p) => p in CPU);
  const entry = {};
  if (os) entry.os = [os];
  if (cpuKey) entry.cpu = [CPU[cpuKey]];
  if (parts.includes('musl') || parts.includes('musleabihf')) entry.libc = ['musl'];
  else if (parts.includes('gnu') || parts.includes('gnueabihf')) entry.libc = ['glibc'];
  return entry;
}

let added = 0;
for (const [path, meta] of Object.entries(pkgs)) {
  for (const [dep, range] of Object.entries(meta.optionalDependencies ?? {})) {
    // npm resolves a dependency next to its parent first, then in the parents above it.
    const candidates = [];
    let base = path;
    for (;;) {
      candidates.push(`${base ? `${base}/` : ''}node_modules/${dep}`);
      const i = base.lastIndexOf('/node_modules/');
      if (base === '') break;
      base = i >= 0 ? base.slice(0, i) : '';
    }
    if (candidates.some((c) => pkgs[c])) continue;
    const platform = platformOf(dep);
    if (!platform.os && !platform.cpu) continue; // not a platform binary: leave it to npm
    const version = String(range).replace(/^[\^~=]/, '');
    pkgs[`node_modules/${dep}`] = { version, ...platform, optional: true };
    added++;
  }
}

const sorted = Object.fromEntries(Object.entries(pkgs).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)));
lock.packages = sorted;
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: ${added} platform-specific optional entries added`);
