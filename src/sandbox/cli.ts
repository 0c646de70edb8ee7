import { parsePort, portError } from '../core/port.ts';
import { PROFILES, startSandbox, type Sandbox, type ServerProfile } from './index.ts';

const USAGE = `usage: satdesk sandbox [--port 51001] [--tls-port 51002] [--control-port 51080] [--data-dir D] [--host 127.0.0.1]
       [--like electrumx|fulcrum] [--notify-interval-ms N] [--max-batch N] [--max-subs N]
  --like                behave like a real server's defaults: ElectrumX (5 s notification polling, cost throttling) or
                        Fulcrum (2 s polling, 345 batch items in flight, 75,000 subscriptions)
  --notify-interval-ms  send notifications (and subscribe answers) on this schedule instead of at once
  --max-batch, --max-subs  Fulcrum-style caps (0: none)`;

interface Args {
  port: number;
  tlsPort: number;
  controlPort: number;
  dataDir?: string;
  host: string;
  profile: Partial<ServerProfile>;
}

function parseArgs(argv: string[]): Args | string {
  const out: Args = { port: 51001, tlsPort: 51002, controlPort: 51080, host: '127.0.0.1', profile: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    const port = (name: string): number | string => {
      const v = value();
      return parsePort(v, { allowZero: true }) ?? portError(name, v, { allowZero: true });
    };
    let r: number | string | undefined;
    switch (flag) {
      case '--port':
        r = port(flag);
        if (typeof r === 'number') out.port = r;
        break;
      case '--tls-port':
        r = port(flag);
        if (typeof r === 'number') out.tlsPort = r;
        break;
      case '--control-port':
        r = port(flag);
        if (typeof r === 'number') out.controlPort = r;
        break;
      case '--data-dir': {
        const v = value();
        if (!v) return '--data-dir needs a directory';
        out.dataDir = v;
        break;
      }
      case '--host': {
        const v = value();
        if (!v) return '--host needs an address';
        out.host = v;
        break;
      }
      case '--like': {
        const v = value();
        if (v !== 'electrumx' && v !== 'fulcrum') return `--like needs electrumx or fulcrum, got ${v ?? 'nothing'}`;
        out.profile = { ...PROFILES[v], ...out.profile };
        break;
      }
      case '--notify-interval-ms':
      case '--max-batch':
      case '--max-subs': {
        const v = value();
        if (v === undefined || !/^\d{1,9}$/.test(v)) return `${flag} needs a whole number, got ${v ?? 'nothing'}`;
        const key = flag === '--notify-interval-ms' ? 'notifyIntervalMs' : flag === '--max-batch' ? 'maxBatchInFlight' : 'maxSubs';
        out.profile = { ...out.profile, [key]: Number(v) };
        break;
      }
      case '-h':
      case '--help':
        return USAGE;
      default:
        return `unknown option ${a}\n${USAGE}`;
    }
    if (typeof r === 'string') return r;
  }
  return out;
}

/** `satdesk sandbox`: run until SIGINT/SIGTERM; returns the exit code. */
export async function runSandboxCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    const help = args === USAGE;
    (help ? console.log : console.error)(args);
    return help ? 0 : 2;
  }
  let sb: Sandbox;
  try {
    sb = await startSandbox({ ...args, log: (l) => console.error(`[sandbox] ${l}`) });
  } catch (e) {
    console.error(`sandbox: cannot start: ${(e as Error).message}`);
    return 1;
  }
  const st = sb.status();
  console.log(`Satdesk sandbox (regtest) at height ${st.height}, tip ${st.tip_hash}`);
  console.log(`Electrum TCP: ${sb.host}:${sb.tcpPort}   (${sb.electrumTcpUrl})`);
  console.log(`Electrum TLS: ${sb.host}:${sb.tlsPort}   (${sb.electrumTlsUrl})`);
  console.log(`TLS certificate SHA-256: ${sb.fingerprintColons}`);
  console.log(`Control API: ${sb.controlUrl}`);
  console.log(`Sandbox wallet: ${sb.walletAddress}`);
  console.log(`Data dir: ${args.dataDir ?? '(none: in memory)'}`);
  console.log(`Try: curl -s -X POST ${sb.controlUrl}/pay -H 'content-type: application/json' -d '{"address":"<a regtest address>","sats":100000}'   then   curl -s -X POST ${sb.controlUrl}/mine -d '{"blocks":1}'`);
  const signal = await new Promise<string>((resolve) => {
    const on = (s: string): void => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(s);
    };
    const onInt = (): void => on('SIGINT');
    const onTerm = (): void => on('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
  console.error(`${signal}: closing the sandbox`);
  await sb.close();
  return 0;
}
