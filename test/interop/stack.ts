/**
 * The real regtest stack for the interop suite: Bitcoin Core with ElectrumX or Fulcrum in front, started from the
 * folder named by SATDESK_REALNODE (its `up`/`down`/`cli` scripts; `.ci/run` points it at the realnode folder beside the clone), on
 * free ports, in a fresh work folder. These binaries are test tools, never part of the product.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { networks, payments } from 'bitcoinjs-lib';

const run = promisify(execFile);

export const REALNODE = process.env.SATDESK_REALNODE ? path.resolve(process.env.SATDESK_REALNODE) : null;

/** Why the interop suite cannot run here, or null when it can. */
export function skipReason(): string | null {
  if (!REALNODE) return 'SATDESK_REALNODE is not set (point it at a folder with up/down/cli and bin/bitcoind, e.g. the realnode folder beside the clone)';
  for (const f of ['up', 'down', 'cli', 'bin/bitcoind']) {
    if (!fs.existsSync(path.join(REALNODE, f))) return `${path.join(REALNODE, f)} not found`;
  }
  return null;
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * n ports free now, below Linux's ephemeral range (32768–60999): the kernel never hands those to a socket another
 * test opens on port 0, nor to an outgoing connection, in the seconds before the stack binds them. (A port taken from
 * that range once went to another socket first: `up` saw it open, ElectrumX could not bind it, and every test of the
 * file failed on ECONNREFUSED.)
 */
async function freePorts(n: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < n) {
    const p = 20_000 + Math.floor(Math.random() * 12_000);
    if (!ports.includes(p) && (await canListen(p))) ports.push(p);
  }
  return ports;
}

export interface Stack {
  server: 'electrumx' | 'fulcrum';
  url: string;
  work: string;
  cli(...args: string[]): Promise<string>;
  /** bitcoin-cli against the "miner" wallet. */
  wallet(...args: string[]): Promise<string>;
  mine(blocks?: number): Promise<void>;
  height(): Promise<number>;
  down(): Promise<void>;
}

export interface StackOptions {
  /** Seconds between the server's polls of bitcoind (their defaults: ElectrumX 5, Fulcrum 2). */
  poll: number;
  /** Fulcrum applies its per-IP limits to loopback too, as to any remote client. */
  publicLimits?: boolean;
}

/** The last lines of the server's log in `work`, to say why a start failed. */
function logTail(work: string, server: string): string {
  try {
    return fs.readFileSync(path.join(work, server, `${server}.log`), 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
}

/** True while the process whose PID `up` wrote to work/<name>.pid runs. */
function running(work: string, name: string): boolean {
  try {
    process.kill(Number(fs.readFileSync(path.join(work, `${name}.pid`), 'utf8').trim()), 0);
    return true;
  } catch {
    return false;
  }
}

export async function startStack(server: 'electrumx' | 'fulcrum', opts: StackOptions): Promise<Stack> {
  // A start can still lose a port to another test picking the same one at the same moment: two more tries, on new ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(server, opts);
    } catch (e) {
      if (attempt === 3) throw e;
      console.log(`interop (${server}): start ${attempt} failed, trying new ports: ${(e as Error).message}`);
    }
  }
}

async function startOnce(server: 'electrumx' | 'fulcrum', opts: StackOptions): Promise<Stack> {
  const dir = REALNODE!;
  const [btc, p2p, exTcp, exSsl, fuTcp, fuSsl] = await freePorts(6);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `satdesk-interop-${server}-`));
  const env = {
    ...process.env,
    BTC_RPC: String(btc), P2P: String(p2p), EX_TCP: String(exTcp), EX_SSL: String(exSsl), FU_TCP: String(fuTcp), FU_SSL: String(fuSsl),
    POLL: String(opts.poll),
  };
  try {
    await run(path.join(dir, 'up'), [work, server, ...(opts.publicLimits ? ['--public-limits'] : [])], { env, timeout: 180_000 });
    // The port `up` waited for is the server's only if the server is still running.
    if (!running(work, server)) throw new Error(`${server} exited after its port opened; its log ends:\n${logTail(work, server)}`);
  } catch (e) {
    await run(path.join(dir, 'down'), [work]).catch(() => {});
    fs.rmSync(work, { recursive: true, force: true });
    throw e;
  }
  const cli = async (...args: string[]): Promise<string> => (await run(path.join(dir, 'cli'), [work, ...args], { timeout: 60_000 })).stdout.trim();
  const wallet = (...args: string[]): Promise<string> => cli('-rpcwallet=miner', ...args);
  return {
    server,
    url: `tcp://127.0.0.1:${server === 'electrumx' ? exTcp : fuTcp}`,
    work,
    cli,
    wallet,
    // A fresh coinbase address each time: after invalidateblock, a block identical to the invalidated one (same
    // second, same coinbase) would be refused.
    mine: async (blocks = 1) => {
      for (let i = 0; i < blocks; i++) await wallet('generatetoaddress', '1', await wallet('getnewaddress'));
    },
    height: async () => Number(await cli('getblockcount')),
    down: async () => {
      await run(path.join(dir, 'down'), [work], { timeout: 120_000 });
      fs.rmSync(work, { recursive: true, force: true });
    },
  };
}

/** Regtest P2WPKH addresses nobody holds keys for (watched, paid by bitcoind, never spent). */
export function randomAddresses(n: number): string[] {
  return Array.from({ length: n }, () => payments.p2wpkh({ hash: randomBytes(20), network: networks.regtest }).address!);
}
