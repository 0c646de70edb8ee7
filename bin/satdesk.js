#!/usr/bin/env node
// The `satdesk` command. Plain JavaScript so it runs right after `npm install`: it loads the TypeScript sources
// through tsx's loader (a runtime dependency), so there is no build step between a fresh clone and a working CLI.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/node/cli.ts');
const code = await main(process.argv.slice(2));
if (typeof code === 'number') process.exitCode = code;
