/**
 * The `satdesk` command is built JavaScript (docs/decisions/0016-built-cli-supported-node.md): the bin loads out/cli,
 * nothing at run time needs tsx, and the build is current (the test setup rebuilt it if a source was newer).
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cliIsStale } from '../../scripts/build-cli.mjs';

const ROOT = path.resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
  bin: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

describe('the built CLI', () => {
  it('needs Node 22.12+, and tsx and esbuild only for development', () => {
    expect(pkg.engines.node).toBe('>=22.12');
    expect(pkg.dependencies).not.toHaveProperty('tsx');
    expect(pkg.dependencies).not.toHaveProperty('esbuild');
    expect(pkg.devDependencies).toHaveProperty('tsx');
  });

  it('is current, and neither the bin nor the build loads tsx or a .ts file', () => {
    expect(cliIsStale()).toBe(false);
    const files = [path.join(ROOT, pkg.bin.satdesk!), ...fs.readdirSync(path.join(ROOT, 'out/cli'), { recursive: true, encoding: 'utf8' }).map((f) => path.join(ROOT, 'out/cli', f))];
    for (const f of files.filter((x) => x.endsWith('.js'))) {
      const text = fs.readFileSync(f, 'utf8');
      expect(text, f).not.toMatch(/from ['"]tsx|import\(['"]tsx|\.ts['"]\)/);
    }
  });

  it('runs with the loaders of this process cleared (no tsx hook), and its version is the package version', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/satdesk.js'), 'version'], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe((JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
  });
});
