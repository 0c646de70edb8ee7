/**
 * Every reference a comment makes must be followable from a fresh clone (docs/decisions/0019-contract-in-repository.md):
 * no citation of documents outside the repository or of bare issue numbers, and every docs/… path (with its
 * #anchor) that a source file or a docs page names must exist.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SOURCE_DIRS = ['src', 'test', 'bench', 'scripts', 'bin', '.ci'];
const SOURCE_FILES = ['eslint.config.js', 'vitest.config.ts', 'electron.vite.config.ts', 'package.json', 'README.md'];
const SKIP = new Set(['node_modules', 'out', '.work', 'node']);

function walk(dir: string, out: string[] = []): string[] {
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(e.name)) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (/\.(ts|tsx|js|mjs|cjs|json|md|html|css|sh|py|yml)$|^run$/.test(e.name)) out.push(p);
  }
  return out;
}

const rel = (p: string): string => path.relative(ROOT, p);
const sources = [...SOURCE_DIRS.flatMap((d) => walk(path.join(ROOT, d))), ...SOURCE_FILES.map((f) => path.join(ROOT, f))].filter(
  (f) => fs.existsSync(f) && f !== import.meta.filename,
);
const docs = walk(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md'));

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchors(file: string): Set<string> {
  const out = new Set<string>();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^#{1,6}\s+(.*)$/.exec(line);
    if (m) out.add(m[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-'));
  }
  return out;
}

function checkTarget(from: string, target: string, base: string): string | null {
  const [p, anchor] = target.split('#') as [string, string | undefined];
  const file = path.resolve(base, p);
  if (!fs.existsSync(file)) return `${rel(from)} → ${target}: no such file`;
  if (anchor && file.endsWith('.md') && !anchors(file).has(anchor)) return `${rel(from)} → ${target}: no such heading`;
  return null;
}

describe('references a clone can follow', () => {
  it('no source cites a document outside the repository or a bare issue number', () => {
    const bad: string[] = [];
    const patterns = [/\bSPEC\b/, /\bELECTRUM\.md\b/, /\.\.\/shared\/(SPEC|ELECTRUM|STYLE|ENVIRONMENT|realnode|seeds)/, /\b[Ii]ssues? #?\d+\b/, /§\s*\d/];
    for (const f of [...sources, ...docs]) {
      fs.readFileSync(f, 'utf8').split('\n').forEach((line, i) => {
        if (patterns.some((re) => re.test(line))) bad.push(`${rel(f)}:${i + 1}: ${line.trim().slice(0, 120)}`);
      });
    }
    expect(bad).toEqual([]);
  });

  it('every docs/… path a source names exists, with its heading', () => {
    const bad: string[] = [];
    for (const f of sources) {
      for (const m of fs.readFileSync(f, 'utf8').matchAll(/\bdocs\/[\w./-]+\.md(#[\w-]+)?/g)) {
        const err = checkTarget(f, m[0], ROOT);
        if (err) bad.push(err);
      }
    }
    expect(bad).toEqual([]);
  });

  it('every relative link and docs/spec citation inside docs/ resolves', () => {
    const bad: string[] = [];
    for (const f of docs) {
      const text = fs.readFileSync(f, 'utf8');
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1]!;
        if (/^[a-z]+:/.test(target) || target.startsWith('#')) continue;
        const err = checkTarget(f, target, path.dirname(f));
        if (err) bad.push(err);
      }
      for (const m of text.matchAll(/(?<![\w/.-])((?:[\w.-]+\/)*[\w-]+\.md#[\w-]+)/g)) {
        const target = m[1]!;
        const base = target.startsWith('docs/') ? ROOT : path.dirname(f);
        const err = checkTarget(f, target, base);
        if (err) bad.push(err);
      }
    }
    expect(bad).toEqual([]);
  });
});
