/**
 * Literal limits (docs/decisions/0106-literal-limits.md): SQLite reads a bound LIMIT while planning, so a statement
 * that binds one is prepared again on every run. The store writes its limits into the SQL text.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { limit } from '../../src/node/store/sqlite.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

function sources(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory()) return sources(p);
    return /\.tsx?$/.test(e.name) ? [p] : [];
  });
}

describe('SQL limits', () => {
  it('are never bound parameters in the source', () => {
    const files = sources('src');
    expect(files.length).toBeGreaterThan(100);
    const bound = files.flatMap((f) =>
      fs
        .readFileSync(path.join(ROOT, f), 'utf8')
        .split('\n')
        .map((line, i) => ({ where: `${f}:${i + 1}`, line }))
        .filter(({ line }) => /\b(LIMIT|OFFSET)\s+([?@:]|\$(?!\{))/.test(line) && !/^\s*(\*|\/\/)/.test(line))
        .map(({ where }) => where),
    );
    expect(bound).toEqual([]);
  });

  it('write the number into the text, and refuse anything but an integer', () => {
    expect(limit(50)).toBe('LIMIT 50');
    expect(limit(-1)).toBe('LIMIT -1');
    for (const bad of [1.5, Number.NaN, Infinity, 2 ** 60]) expect(() => limit(bad)).toThrow(RangeError);
    expect(() => limit('1; DROP TABLE invoices' as unknown as number)).toThrow(RangeError);
  });
});
