/**
 * `satdesk <command>` (docs/spec/api.md#commands). Each command parses its flags strictly and answers a wrong one with a clear
 * message and exit code 2.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isNetworkName, NETWORKS, type NetworkName } from '../core/network.ts';
import { defaultDataDir } from './datadir.ts';
import { hostOfHeader, isLoopbackHost } from './http/auth.ts';
import { startApp } from './app.ts';
import { ensureLanCertificate, lanAddresses } from './counter/lan.ts';
import { VERSION } from './version.ts';
import { plaintextWarning } from './transport-warning.ts';
import { parsePort, portError } from '../core/port.ts';
import { IP_FAMILIES, isIpFamily } from '../core/vocabulary.ts';
import { useExportWorker } from './books/export-thread.ts';

// Built (scripts/build-cli.mjs), the exports' worker sits beside this file; run from src/, export-thread.ts finds the build.
if (import.meta.url.endsWith('.js')) useExportWorker(new URL('./books-export-worker.js', import.meta.url));

const HELP = `Satdesk ${VERSION} — a watch-only Bitcoin merchant console

Usage:
  satdesk serve   [--data-dir D] [--host 127.0.0.1] [--port 8787] [--network N] [--electrum URL]...
                  [--api-token T] [--ip-family auto|ipv4|ipv6] [--allow-host NAME]... [--allow-remote] [--lan]
                  The core without a window: the HTTP API and the console in a browser.
                  Loopback only unless --allow-remote is given with a non-loopback --host.
                  --lan: HTTPS on every interface (self-signed, fingerprint printed) for paired tills.
  satdesk sandbox [--port 51001] [--tls-port 51002] [--control-port 51080] [--data-dir D]
                  A regtest chain with an Electrum server and a control API, for testing without real money.
  satdesk demo    [--data-dir D] [--port P]
                  Sandbox + serve + a demo wallet, agent and receiver. --port 0 picks free ports.
  satdesk help | version

Networks: ${NETWORKS.join(', ')}. The data dir defaults to ${defaultDataDir()}.
`;

class UsageError extends Error {}

function parse<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function portOf(v: string | undefined, fallback: number, flag: string): number {
  if (v === undefined) return fallback;
  const n = parsePort(v, { allowZero: true });
  if (n === null) throw new UsageError(portError(flag, v, { allowZero: true }));
  return n;
}

function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (s: NodeJS.Signals): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(s);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

async function serve(argv: string[]): Promise<number> {
  const v = parse(argv, {
    'data-dir': { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    network: { type: 'string' },
    electrum: { type: 'string', multiple: true },
    'api-token': { type: 'string' },
    'ip-family': { type: 'string' },
    'allow-host': { type: 'string', multiple: true },
    'allow-remote': { type: 'boolean' },
    lan: { type: 'boolean' },
  });
  const network = v.network ?? 'mainnet';
  if (!isNetworkName(network)) throw new UsageError(`--network must be one of ${NETWORKS.join(', ')}`);
  const ipFamily = v['ip-family'] ?? 'auto';
  if (!isIpFamily(ipFamily)) throw new UsageError(`--ip-family must be ${IP_FAMILIES.join(', ')}`);
  if (v['api-token'] !== undefined && v['api-token'].length < 16) throw new UsageError('--api-token must be at least 16 characters');
  for (const h of v['allow-host'] ?? []) {
    if (hostOfHeader(h) === null) throw new UsageError(`--allow-host takes a host name or address, not "${h}"`);
  }
  // --lan: tills and customer displays on the shop's network, over HTTPS (docs/counter.md#tills-on-the-shops-network).
  const host = v.host ?? (v.lan ? '0.0.0.0' : undefined);
  // The API is protected by its token alone and speaks plain HTTP: listening beyond this machine is a choice.
  const remote = host !== undefined && !isLoopbackHost(host);
  if (remote && !v['allow-remote'] && !v.lan) {
    throw new UsageError(
      `--host ${v.host} would expose the API beyond this machine (plain HTTP, token only); add --allow-remote if you mean it, or use a tunnel (docs/security.md)`,
    );
  }
  const dataDir = v['data-dir'] ?? defaultDataDir();
  const tls = v.lan ? ensureLanCertificate(dataDir) : undefined;
  if (remote && !tls) {
    console.error(`WARNING: listening on ${host}: anyone who can reach this address can try the API. It speaks plain HTTP; keep it on a network you trust.`);
  }
  if (tls) console.error(`Listening on ${host} over HTTPS for tills on this network; every request still needs a paired device's token.`);
  const app = await startApp({
    dataDir,
    network: network as NetworkName,
    host,
    tls,
    // --port, else the api.port setting (8787 by default); serve always listens, whatever api.enabled says.
    port: v.port === undefined ? undefined : portOf(v.port, 8787, '--port'),
    http: true,
    apiToken: v['api-token'],
    ipFamily,
    allowHosts: v['allow-host'],
    electrum: v.electrum,
  });
  console.log(`Satdesk ${VERSION} serving ${network} from ${dataDir}`);
  console.log(`API: ${app.api!.url}/api/v1`);
  if (!app.watcher) console.log('Chain: not connected (no --electrum given); invoices can still be created.');
  else console.log(`Chain: watching through ${app.service.electrumServers().join(', ')}`);
  const plaintext = plaintextWarning(network as NetworkName, app.service.electrumServers());
  if (plaintext) console.log(`WARNING: ${plaintext}`);
  // A one-time login link: the long-lived token never goes in a URL, so never into a browser's history.
  console.log(`Console: ${app.consoleUrl} (one-time link; later, paste the token from ${dataDir}/api-token)`);
  if (tls) {
    for (const a of lanAddresses().filter((x) => !x.includes(':'))) console.log(`Tills on this network: https://${a}:${app.api!.port}/`);
    console.log(`TLS certificate SHA-256: ${tls.fingerprint} (self-signed: compare it before you trust it; pairing QRs carry it)`);
  }
  const signal = await waitForSignal();
  console.error(`${signal}: shutting down`);
  await app.close();
  return 0;
}

async function sandbox(argv: string[]): Promise<number> {
  // Loaded only for this command (its own chunk in the built CLI).
  const mod = await import('../sandbox/cli.ts');
  return mod.runSandboxCommand(argv);
}

async function demo(argv: string[]): Promise<number> {
  const mod = await import('./demo.ts');
  return mod.runDemoCommand(argv);
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serve(rest);
      case 'sandbox':
        return await sandbox(rest);
      case 'demo':
        return await demo(rest);
      case 'version':
      case '--version':
        console.log(VERSION);
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        console.log(HELP);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`satdesk: ${e.message}\n\n${HELP}`);
      return 2;
    }
    console.error(`satdesk: ${(e as Error).message}`);
    return 1;
  }
}
