#!/usr/bin/env node
// The `satdesk` command: runs the JavaScript build of src/node/cli.ts that `npm install` makes (scripts/build-cli.mjs).
import { existsSync } from 'node:fs';
import module from 'node:module';

const entry = new URL('../out/cli/satdesk.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('satdesk: the command is not built yet. Run `npm install` (or `node scripts/build-cli.mjs`) in the Satdesk folder.');
  process.exit(1);
}
// V8's compiled code for the build, kept beside it: a start compiles nothing that an earlier one did
// (docs/decisions/0095-cold-start.md). Where out/ is not writable the cache is simply off.
module.enableCompileCache?.(new URL('../out/.compile-cache', import.meta.url).pathname);
const { main } = await import(entry.href);
const code = await main(process.argv.slice(2));
if (typeof code === 'number') process.exitCode = code;
