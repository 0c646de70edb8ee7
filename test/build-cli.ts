/**
 * vitest globalSetup: rebuilds the `satdesk` command (out/cli, scripts/build-cli.mjs) when a source is newer than
 * the build, so every test that spawns `satdesk` runs the code under test, never a stale build.
 */
import { buildCli, cliIsStale } from '../scripts/build-cli.mjs';

export default async function setup(): Promise<void> {
  if (cliIsStale()) await buildCli();
}
