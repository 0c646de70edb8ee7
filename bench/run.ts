/**
 * `npm run bench`: runs each scenario (against the sandbox on loopback where it needs a chain), prints a table and
 * writes bench/results.json as `{"scenarios": [...]}` (one row per figure, bench/lib.ts). `npm run bench -- store` runs only the named scenarios.
 * Performance lives here, never in timed tests.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { toRow, type Row, type ScenarioResult } from './lib.ts';
import { buildCli, cliIsStale } from '../scripts/build-cli.mjs';

type Scenario = { name: string; run: () => Promise<ScenarioResult[]> };

const here = path.dirname(fileURLToPath(import.meta.url));

async function loadScenarios(): Promise<Scenario[]> {
  const dir = path.join(here, 'scenarios');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.ts')).sort();
  const out: Scenario[] = [];
  for (const f of files) {
    const mod = (await import(path.join(dir, f))) as { scenario: Scenario };
    out.push(mod.scenario);
  }
  return out;
}

// Scenarios spawn the built `satdesk`: measure the code as it is now, never a stale build.
if (cliIsStale()) {
  console.error('bench: building the CLI (sources are newer than out/cli)');
  await buildCli();
}

const wanted = process.argv.slice(2);
const scenarios = (await loadScenarios()).filter((s) => !wanted.length || wanted.includes(s.name));
const rows: Row[] = [];
const started = Date.now();
for (const s of scenarios) {
  const t0 = Date.now();
  console.error(`bench: ${s.name} ...`);
  try {
    for (const r of await s.run()) rows.push(toRow(r));
  } catch (e) {
    console.error(`bench: ${s.name} failed: ${(e as Error).stack}`);
    rows.push({ scenario: s.name, figure: 'run', unit: '', median: NaN, min: NaN, max: NaN, target: NaN, verdict: 'miss', samples: 0, note: `failed: ${(e as Error).message}` });
  }
  console.error(`bench: ${s.name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

const pad = (s: string, n: number): string => s.padEnd(n);
console.log(`${pad('scenario', 12)} ${pad('figure', 44)} ${pad('median', 10)} ${pad('min', 10)} ${pad('max', 10)} ${pad('target', 10)} verdict`);
for (const r of rows) {
  console.log(
    `${pad(r.scenario, 12)} ${pad(`${r.figure} (${r.unit})`, 44)} ${pad(String(r.median), 10)} ${pad(String(r.min), 10)} ${pad(String(r.max), 10)} ${pad(String(r.target), 10)} ${r.verdict}`,
  );
}
const file = path.join(here, 'results.json');
// Keep rows of scenarios not run this time, so `npm run bench -- store` does not erase the others.
let previous: Row[] = [];
try {
  previous = (JSON.parse(fs.readFileSync(file, 'utf8')) as { scenarios: Row[] }).scenarios;
} catch {
  previous = [];
}
const ran = new Set(rows.map((r) => r.scenario));
const merged = [...previous.filter((r) => !ran.has(r.scenario)), ...rows];
fs.writeFileSync(
  file,
  JSON.stringify({ generated_at: new Date().toISOString(), machine: `${process.platform} ${process.arch}, node ${process.version}`, scenarios: merged }, null, 2) + '\n',
);
console.error(`bench: wrote ${path.relative(process.cwd(), file)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
