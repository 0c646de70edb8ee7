#!/usr/bin/env node
// Builds better-sqlite3 for the Electron runtime into native/electron/, leaving node_modules' Node build alone, so
// `npm test` / `satdesk serve` (Node ABI) and the desktop app (Electron ABI) never overwrite each other's binary.
// Needs internet: it downloads Electron's headers (or a matching prebuilt binary).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const root = path.resolve(import.meta.dirname, '..');
const electronVersion = require('electron/package.json').version;
const srcDir = path.dirname(require.resolve('better-sqlite3/package.json'));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'satdesk-native-'));
fs.cpSync(srcDir, work, { recursive: true, filter: (p) => !p.includes(`${path.sep}build${path.sep}`) });

const run = (cmd, args) => spawnSync(cmd, args, { cwd: work, stdio: 'inherit', shell: process.platform === 'win32' });
// Prefer the project's prebuilt binary for this Electron; fall back to compiling against Electron's headers.
let r = run(process.execPath, [require.resolve('prebuild-install/bin.js'), '--runtime', 'electron', '--target', electronVersion]);
if (r.status !== 0) {
  r = run(process.execPath, [
    require.resolve('node-gyp/bin/node-gyp.js'), 'rebuild', '--release', `--target=${electronVersion}`,
    '--dist-url=https://electronjs.org/headers', '--runtime=electron',
  ]);
}
if (r.status !== 0) {
  console.error('Could not build better-sqlite3 for Electron (is there internet?).');
  process.exit(1);
}
const out = path.join(root, 'native', 'electron');
fs.mkdirSync(out, { recursive: true });
fs.copyFileSync(path.join(work, 'build', 'Release', 'better_sqlite3.node'), path.join(out, 'better_sqlite3.node'));
console.log(`native/electron/better_sqlite3.node built for Electron ${electronVersion}`);
