import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import path from 'node:path';
import fs from 'node:fs';

// electron-builder's own loader and JSON-schema validation: building packages needs internet and the target OS,
// so CI checks that the configuration is one electron-builder accepts and that it keeps the native module usable.
const require = createRequire(import.meta.url);
const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as {
  getConfig(dir: string, file: string | null, fromOptions: unknown): Promise<Record<string, any>>;
  validateConfiguration(config: unknown, logger: { isEnabled: boolean; add(): void }): Promise<void>;
};

describe('electron-builder.yml', () => {
  it('is valid for electron-builder and targets AppImage, deb, dmg and nsis', async () => {
    const config = await getConfig(path.resolve('.'), 'electron-builder.yml', null);
    await validateConfiguration(config, { isEnabled: false, add() {} });
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.mac.target).toEqual(['dmg']);
    expect(config.win.target).toEqual(['nsis']);
  });

  it('unpacks the native SQLite builds from the asar and never rebuilds node_modules in place', async () => {
    const config = await getConfig(path.resolve('.'), 'electron-builder.yml', null);
    expect(config.asarUnpack).toEqual(expect.arrayContaining(['native/electron/**', 'node_modules/better-sqlite3/**']));
    expect(config.npmRebuild).toBe(false);
    expect(config.files[0].filter).toEqual(expect.arrayContaining(['out/**', 'native/electron/**']));
  });

  it('flips the fuses: no run-as-node, no NODE_OPTIONS, no inspector, encrypted cookies, asar only and integrity-checked', async () => {
    const config = await getConfig(path.resolve('.'), 'electron-builder.yml', null);
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableCookieEncryption: true,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    });
    expect(config.asar).not.toBe(false);
    await expect(validateConfiguration({ ...config, electronFuses: { runAsNode: 'no' } }, { isEnabled: false, add() {} })).rejects.toThrow();
  });

  it('rejects a broken configuration (the check can fail)', async () => {
    await expect(validateConfiguration({ linux: { target: 42, nonsense: true } }, { isEnabled: false, add() {} })).rejects.toThrow();
  });

  it('package.json points Electron at the built main and the bin at a JavaScript file', () => {
    const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8')) as { main: string; bin: { satdesk: string } };
    expect(pkg.main).toBe('out/main/index.js');
    expect(pkg.bin.satdesk).toMatch(/\.js$/);
    expect(fs.readFileSync(pkg.bin.satdesk, 'utf8').startsWith('#!/usr/bin/env node')).toBe(true);
  });
});
