/**
 * Where the project's own files are, whether this code runs from src/ (tests, tsx), from the built CLI (out/cli/)
 * or from the Electron bundle (out/main/): the nearest folder above holding Satdesk's package.json.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'satdesk') return dir;
    if (path.dirname(dir) === dir) throw new Error(`Satdesk's package.json not found above ${from}`);
  }
}

export const PROJECT_ROOT = findRoot(path.dirname(fileURLToPath(import.meta.url)));

/** The built console (`electron-vite build` / `npm install`), served by `satdesk serve` at `/`. */
export const CONSOLE_DIR = path.join(PROJECT_ROOT, 'out/renderer');
