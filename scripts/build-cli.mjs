#!/usr/bin/env node
/**
 * Builds the `satdesk` command to JavaScript (docs/decisions/0016-built-cli-supported-node.md): src/node/cli.ts and
 * what it imports, bundled by esbuild into out/cli/ (one file per command: the sandbox and the demo load only when
 * asked for), with its dependencies but better-sqlite3 (docs/decisions/0095-cold-start.md). `npm install` runs it (prepare); the test and bench setups run it
 * when a source is newer than the build, so nothing ever runs a stale CLI.
 *
 *   node scripts/build-cli.mjs             build
 *   node scripts/build-cli.mjs --if-stale  build only when out/cli is missing or older than a source
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'out/cli');
const ENTRY = path.join(OUT, 'satdesk.js');
const SOURCES = ['src/node', 'src/core', 'src/shared', 'src/sandbox', 'package.json', 'scripts/build-cli.mjs'];

function newest(p) {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let t = 0;
  for (const e of fs.readdirSync(p)) t = Math.max(t, newest(path.join(p, e)));
  return t;
}

export function cliIsStale() {
  if (!fs.existsSync(ENTRY)) return true;
  const built = fs.statSync(ENTRY).mtimeMs;
  return SOURCES.some((s) => fs.existsSync(path.join(ROOT, s)) && newest(path.join(ROOT, s)) > built);
}

export async function buildCli() {
  const { build } = await import('esbuild');
  const tmp = `${OUT}.tmp-${process.pid}`;
  await build({
    // The CSV exports' worker thread (docs/decisions/0116-exports-on-a-worker-thread.md) is an entry of its own, beside
    // the command, which tells src/node/books/export-thread.ts where it is.
    entryPoints: { satdesk: path.join(ROOT, 'src/node/cli.ts'), 'books-export-worker': path.join(ROOT, 'src/node/books/export-worker.ts') },
    outdir: tmp,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22.12',
    // Dependencies are bundled too (docs/decisions/0095-cold-start.md): resolving and loading a hundred files from
    // node_modules was a third of a start. better-sqlite3 stays outside: it loads its native binding from its folder.
    external: ['better-sqlite3'],
    // CommonJS dependencies call require(); an ES module has none of its own.
    banner: { js: "import { createRequire as __satdeskCreateRequire } from 'node:module'; const require = __satdeskCreateRequire(import.meta.url);" },
    logLevel: 'warning',
    // Chunks are named by content; the entry keeps its name for bin/satdesk.js.
    chunkNames: 'chunks/[name]-[hash]',
  });
  // Swap in the new build at once: a command starting meanwhile sees the old build or the new, never a mix.
  fs.rmSync(`${OUT}.old`, { recursive: true, force: true });
  if (fs.existsSync(OUT)) fs.renameSync(OUT, `${OUT}.old`);
  fs.renameSync(tmp, OUT);
  fs.rmSync(`${OUT}.old`, { recursive: true, force: true });
  // V8's cache of the old build's compiled code (bin/satdesk.js) would only grow: it starts again with this build.
  fs.rmSync(path.join(ROOT, 'out/.compile-cache'), { recursive: true, force: true });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (!process.argv.includes('--if-stale') || cliIsStale()) await buildCli();
}
