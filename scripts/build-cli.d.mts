/** Types of scripts/build-cli.mjs (plain JavaScript so `npm install` can run it before anything is built). */
export function cliIsStale(): boolean;
export function buildCli(): Promise<void>;
