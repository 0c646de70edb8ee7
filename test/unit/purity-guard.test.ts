/**
 * The mechanical guard that keeps src/core pure (docs/decisions/0003-pure-core.md): eslint refuses Node, Electron, DOM and adapter imports
 * in core and shared, and Electron anywhere tests or serve load. Proven here by linting offending snippets under
 * those paths with the project's own config, and by checking the core tsconfig sees no Node or DOM types.
 */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';

// The snippets are files of no TypeScript project, so the type-aware rules (which need one) are left out; the guard
// under test is the import and global rules of the project's config, which read no types.
const eslint = new ESLint({ cwd: process.cwd(), overrideConfig: [{ files: ['**/*.ts'], ...tseslint.configs.disableTypeChecked }] });

async function problems(code: string, filePath: string): Promise<string[]> {
  const [r] = await eslint.lintText(code, { filePath });
  return r!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('the pure-core guard', () => {
  it.each([
    ["import fs from 'node:fs';\nexport const x = fs;\n", 'src/core/bad.ts', /no Node built-ins/],
    ["import { createHash } from 'crypto';\nexport const x = createHash;\n", 'src/core/wallet/bad.ts', /no Node built-ins/],
    ["import { app } from 'electron';\nexport const x = app;\n", 'src/core/bad.ts', /no Electron/],
    ["import Database from 'better-sqlite3';\nexport const x = Database;\n", 'src/shared/bad.ts', /pure/],
    ["import { Satdesk } from '../node/service.ts';\nexport const x = Satdesk;\n", 'src/core/bad.ts', /core imports nothing/],
    ['export const x = process.env.HOME;\n', 'src/core/bad.ts', /process/],
    ['export const x = window.location;\n', 'src/core/bad.ts', /window/],
    ["import { app } from 'electron';\nexport const x = app;\n", 'src/node/bad.ts', /main\/preload only/],
    ["import fs from 'node:fs';\nexport const x = fs;\n", 'src/renderer/src/bad.ts', /cannot use Node/],
    ["import { startApp } from '../../node/app.ts';\nexport const x = startApp;\n", 'src/renderer/src/bad.ts', /only core and shared/],
  ])('refuses %j in %s', async (code, file, why) => {
    const msgs = await problems(code, file);
    expect(msgs.join('\n')).toMatch(why);
  });

  it('lets pure code and Node adapters through', async () => {
    expect(await problems("import { SatdeskError } from './errors.ts';\nexport const x = SatdeskError;\n", 'src/core/ok.ts')).toEqual([]);
    expect(await problems("import fs from 'node:fs';\nexport const x = fs;\n", 'src/node/ok.ts')).toEqual([]);
    expect(await problems("import { app } from 'electron';\nexport const x = app;\n", 'src/main/ok.ts')).toEqual([]);
  });

  it('compiles core and shared with no Node or DOM types in view', () => {
    for (const f of ['src/core/tsconfig.json', 'src/shared/tsconfig.json']) {
      const cfg = JSON.parse(fs.readFileSync(f, 'utf8')) as { compilerOptions: { types: string[]; lib: string[] } };
      expect(cfg.compilerOptions.types).toEqual([]);
      expect(cfg.compilerOptions.lib).toEqual(['ES2022']);
    }
    const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.typecheck).toContain('tsc -p src/core/tsconfig.json');
    expect(pkg.scripts.test).toMatch(/typecheck.*lint/);
  });
});
