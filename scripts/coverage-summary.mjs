#!/usr/bin/env node
/**
 * Prints what the last `vitest run --coverage` covered of src/core and src/node, per folder (from
 * coverage/coverage-summary.json). The floors themselves are checked by vitest (vitest.config.ts).
 */
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const file = path.join(root, 'coverage/coverage-summary.json');
if (!fs.existsSync(file)) {
  console.error('coverage: no coverage/coverage-summary.json (run vitest with --coverage)');
  process.exit(1);
}
const summary = JSON.parse(fs.readFileSync(file, 'utf8'));
const KEYS = ['lines', 'statements', 'functions', 'branches'];
const folders = new Map();
for (const [f, s] of Object.entries(summary)) {
  if (f === 'total') continue;
  const rel = path.relative(root, f);
  const [top, second] = rel.split(path.sep);
  for (const name of [top === 'src' ? `src/${second}` : null].filter(Boolean)) {
    const acc = folders.get(name) ?? Object.fromEntries(KEYS.map((k) => [k, { covered: 0, total: 0 }]));
    for (const k of KEYS) {
      acc[k].covered += s[k].covered;
      acc[k].total += s[k].total;
    }
    folders.set(name, acc);
  }
}
const pct = (c) => (c.total ? ((100 * c.covered) / c.total).toFixed(2) : '100.00').padStart(7);
console.log(`\ncoverage        ${KEYS.map((k) => k.padStart(12)).join('')}`);
for (const [name, acc] of [...folders].sort()) console.log(`${name.padEnd(16)}${KEYS.map((k) => `${pct(acc[k])}%`.padStart(12)).join('')}`);
