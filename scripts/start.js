#!/usr/bin/env node
// `npm start`: builds the app with electron-vite and launches it in Electron. Electron (≥ 45) fetches its binary on
// first run; where that cannot happen (no internet), say so plainly and point to the browser console instead.
import { spawnSync, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const require = createRequire(import.meta.url);
const root = path.resolve(import.meta.dirname, '..');

function electronBinary() {
  // require('electron') returns the binary's path, downloading it first when it is missing.
  const probe = spawnSync(process.execPath, ['-e', "process.stdout.write(require('electron'))"], {
    cwd: root,
    encoding: 'utf8',
    timeout: 5 * 60_000,
  });
  const p = probe.stdout?.trim();
  if (probe.status === 0 && p && fs.existsSync(p)) return p;
  return null;
}

const bin = electronBinary();
if (!bin) {
  console.error(`
Satdesk's desktop window needs the Electron runtime, and it could not be downloaded here
(Electron fetches its binary on first run; this machine has no route to it).

You can use Satdesk right now without it — same core, same screens, in your browser:

  npx satdesk demo                     a sandbox chain, a demo wallet and a callback receiver: try a sale end to end
  npx satdesk serve --network mainnet  your real shop (add --electrum ssl://host:port), console at the printed link

On a machine with internet, \`npm start\` downloads Electron once and opens the desktop app.
`);
  process.exit(1);
}

const build = spawnSync(process.execPath, [require.resolve('electron-vite/bin/electron-vite.js'), 'build'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const child = spawn(bin, ['.', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
child.on('exit', (code) => process.exit(code ?? 0));
