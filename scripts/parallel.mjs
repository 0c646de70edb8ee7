#!/usr/bin/env node
/**
 * Runs npm scripts side by side and fails when any fails: `npm test` runs the typecheck and lint at once, each a
 * single-threaded program that takes about half a minute on a fresh clone, on two cores
 * (docs/decisions/0018-tests-prove-by-state.md#a-suite-that-runs-in-parallel). Each script's output is printed
 * whole when it ends, never interleaved with the other's.
 *
 *   node scripts/parallel.mjs typecheck lint
 */
import { spawn } from 'node:child_process';

const names = process.argv.slice(2);
const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm'];

const results = await Promise.all(
  names.map(
    (name) =>
      new Promise((resolve) => {
        const child = spawn(npm[0], [...npm.slice(1), 'run', name], { stdio: ['ignore', 'pipe', 'pipe'] });
        const out = [];
        child.stdout.on('data', (b) => out.push(b));
        child.stderr.on('data', (b) => out.push(b));
        child.on('close', (code, signal) => {
          const text = Buffer.concat(out).toString();
          process.stdout.write(`> ${name}: ${code === 0 ? 'ok' : `failed (${signal ?? `exit ${code}`})`}\n${text}`);
          resolve(code === 0);
        });
      }),
  ),
);
process.exit(results.every(Boolean) ? 0 : 1);
