#!/usr/bin/env node
// The `satdesk` command: runs the JavaScript build of src/node/cli.ts that `npm install` makes (scripts/build-cli.mjs).
import { existsSync } from 'node:fs';

const entry = new URL('../out/cli/satdesk.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('satdesk: the command is not built yet. Run `npm install` (or `node scripts/build-cli.mjs`) in the Satdesk folder.');
  process.exit(1);
}
const { main } = await import(entry.href);
const code = await main(process.argv.slice(2));
if (typeof code === 'number') process.exitCode = code;
