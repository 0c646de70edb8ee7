/**
 * vitest globalSetup for the e2e tests: builds the renderer into out/renderer (what `satdesk serve` serves at `/`)
 * when it is missing or older than any file under src/renderer, src/shared or src/core. Same settings as the
 * renderer section of electron.vite.config.ts, without building main and preload.
 */
import fs from 'node:fs';
import path from 'node:path';
import { cspMeta } from '../../scripts/vite-csp.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const OUT = path.join(ROOT, 'out/renderer');

function newest(dir: string): number {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

export function rendererIsStale(): boolean {
  const index = path.join(OUT, 'index.html');
  if (!fs.existsSync(index)) return true;
  const built = fs.statSync(index).mtimeMs;
  return ['src/renderer', 'src/shared', 'src/core'].some((d) => newest(path.join(ROOT, d)) > built);
}

export async function buildRenderer(): Promise<void> {
  const { build } = await import('vite');
  const { default: react } = await import('@vitejs/plugin-react');
  // vitest runs with NODE_ENV=test, which would make vite bundle React's development build (several times
  // slower per render): build what ships.
  const saved = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await buildOnce(build, react);
  } finally {
    process.env.NODE_ENV = saved;
  }
  // Touch index.html last so the staleness check compares against the end of the build.
  const index = path.join(OUT, 'index.html');
  const now = new Date();
  fs.utimesSync(index, now, now);
}

async function buildOnce(build: typeof import('vite').build, react: typeof import('@vitejs/plugin-react').default): Promise<void> {
  await build({
    mode: 'production',
    configFile: false,
    root: path.join(ROOT, 'src/renderer'),
    base: './',
    logLevel: 'warn',
    plugins: [react(), cspMeta()],
    build: {
      outDir: OUT,
      emptyOutDir: true,
      chunkSizeWarningLimit: 1500,
      rollupOptions: { input: { index: path.join(ROOT, 'src/renderer/index.html') } },
    },
  });
}

export default async function setup(): Promise<void> {
  if (rendererIsStale()) await buildRenderer();
}
