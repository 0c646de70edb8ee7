import fs from 'node:fs';
import path from 'node:path';
import type http from 'node:http';
import type net from 'node:net';
import { SandboxChain } from './chain.ts';
import { ControlError, SandboxControl, createControlServer, type SandboxStatus } from './control.ts';
import { ElectrumServer, type FaultKind } from './electrum-server.ts';
import type { ServerProfile } from './fidelity.ts';
import { ensureTlsCert, readJson, writeAtomic } from './persist.ts';
import { SandboxWallet } from './wallet.ts';

export { ControlError, type SandboxStatus, type FaultKind };
export { PROFILES, type ServerProfile } from './fidelity.ts';

export interface SandboxOptions {
  host?: string;
  port?: number;
  tlsPort?: number;
  controlPort?: number;
  dataDir?: string;
  log?: (line: string) => void;
  /** How the Electrum server imitates a real one (fidelity.ts); default: instant notifications, no throttling. */
  profile?: Partial<ServerProfile>;
  /** The chain's clock (ms) for block and mempool times; default the system's. A new chain's first blocks read it too. */
  now?: () => number;
}

export interface Sandbox {
  host: string;
  tcpPort: number;
  tlsPort: number;
  controlPort: number;
  /** SHA-256 of the TLS certificate, lowercase hex (use as `ssl://host:port#<fingerprint>`) */
  fingerprint: string;
  /** the same as AA:BB:... */
  fingerprintColons: string;
  controlUrl: string;
  /** `tcp://host:port` and `ssl://host:port#fingerprint` for Satdesk's --electrum */
  electrumTcpUrl: string;
  electrumTlsUrl: string;
  /** the sandbox wallet's own address (coinbases, change, double-spends) */
  walletAddress: string;
  /** direct access for in-process tests */
  chain: SandboxChain;
  server: ElectrumServer;
  status(): SandboxStatus;
  /** `unconfirmed_parent`: pay from an output of an unconfirmed transaction (a height −1 history entry). */
  pay(req: ({ address: string; sats: number } | { outputs: { address: string; sats: number }[] }) & { rbf?: boolean; unconfirmed_parent?: boolean }): { txid: string };
  mine(blocks?: number, address?: string): { height: number; hashes: string[] };
  /** `blocks` (default `depth`) new blocks replace the last `depth`: fewer makes the chain shorter. */
  reorg(depth: number, drop?: string[], blocks?: number): { height: number };
  doubleSpend(txid: string): { txid: string };
  fault(kind: FaultKind | 'none', seconds?: number): SandboxStatus;
  close(): Promise<void>;
}

const CHAIN_FILE = 'chain.json';
const WALLET_FILE = 'wallet.json';
const INITIAL_BLOCKS = 101;

/** Start the sandbox chain: Electrum TCP + TLS servers and the HTTP control API, all on `host` (127.0.0.1). */
export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const host = opts.host ?? '127.0.0.1';
  const log = opts.log ?? (() => {});
  const dataDir = opts.dataDir ? path.resolve(opts.dataDir) : null;
  if (dataDir) fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });

  const stored = dataDir ? readJson<{ wif: string }>(path.join(dataDir, WALLET_FILE)) : null;
  const wallet = new SandboxWallet(stored?.wif);
  if (dataDir && !stored) writeAtomic(path.join(dataDir, WALLET_FILE), JSON.stringify({ wif: wallet.wif, address: wallet.address }) + '\n');

  const chain = new SandboxChain(wallet.script, opts.now);
  const snap = dataDir ? readJson<ReturnType<SandboxChain['snapshot']>>(path.join(dataDir, CHAIN_FILE)) : null;
  if (snap) {
    chain.restore(snap);
    log(`loaded chain at height ${chain.height} (${chain.mempool.size} mempool txs) from ${dataDir}`);
  } else {
    chain.mine(INITIAL_BLOCKS);
    log(`new chain: mined ${INITIAL_BLOCKS} blocks to ${wallet.address}`);
  }
  const save = (): void => {
    if (dataDir) writeAtomic(path.join(dataDir, CHAIN_FILE), JSON.stringify(chain.snapshot()));
  };
  save();
  const stopSaving = chain.onChange(save);

  const tlsMat = ensureTlsCert(dataDir);
  const server = new ElectrumServer(chain, { host, port: opts.port ?? 0, tlsPort: opts.tlsPort ?? 0, tlsKey: tlsMat.key, tlsCert: tlsMat.cert, log, ...(opts.profile ? { profile: opts.profile } : {}) });
  const { tcpPort, tlsPort } = await server.listen();
  const control = new SandboxControl(chain, wallet, server);
  const http = createControlServer(control, log);
  // Clients reuse idle connections (fetch keeps them ~4 s): a server that closes them sooner or at the same moment
  // resets a request sent on one. Keep them longer than any client does.
  http.keepAliveTimeout = 65_000;
  http.headersTimeout = 66_000;
  const sockets = new Set<net.Socket>();
  http.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const controlPort = await new Promise<number>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.controlPort ?? 0, host, () => resolve((http.address() as net.AddressInfo).port));
  });
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  log(`electrum tcp ${host}:${tcpPort}, tls ${host}:${tlsPort} (sha256 ${tlsMat.fingerprint}), control http://${hostInUrl}:${controlPort}`);

  let closed = false;
  return {
    host,
    tcpPort,
    tlsPort,
    controlPort,
    fingerprint: tlsMat.fingerprint,
    fingerprintColons: tlsMat.fingerprintColons,
    controlUrl: `http://${hostInUrl}:${controlPort}`,
    electrumTcpUrl: `tcp://${hostInUrl}:${tcpPort}`,
    electrumTlsUrl: `ssl://${hostInUrl}:${tlsPort}#${tlsMat.fingerprint}`,
    walletAddress: wallet.address,
    chain,
    server,
    status: () => control.status(),
    pay: (req) => control.pay(req),
    mine: (blocks = 1, address) => control.mine(address === undefined ? { blocks } : { blocks, address }),
    reorg: (depth, drop, blocks) => control.reorg({ depth, ...(drop === undefined ? {} : { drop }), ...(blocks === undefined ? {} : { blocks }) }),
    doubleSpend: (txid) => control.doubleSpend({ txid }),
    fault: (kind, seconds) => control.fault(seconds === undefined ? { kind } : { kind, seconds }),
    async close() {
      if (closed) return;
      closed = true;
      stopSaving();
      save();
      await server.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => (http as http.Server).close(() => r()));
    },
  };
}
