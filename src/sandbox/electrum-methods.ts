/**
 * The sandbox's Electrum methods (protocol 1.4 to 1.6) over a SandboxChain, and the per-connection session state
 * they use. The server (electrum-server.ts) owns sockets, faults and notifications; these handlers answer.
 */
import type net from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { randomBytes } from 'node:crypto';
import { REGTEST_GENESIS_HASH, merkleBranch } from '../core/chain/index.ts';
import { PROTOCOL_MIN, cmpVersion, parseVersion } from '../core/chain/protocol.ts';
import type { HistoryItem, SandboxChain } from './chain.ts';
import type { FaultKind } from './electrum-server.ts';
import type { CostMeter } from './fidelity.ts';
import type { PaddedWriter } from './padding.ts';
import { RejectError, decodeTx } from './tx.ts';

export const SERVER_VERSION = 'Satdesk-sandbox 0.1';
export { PROTOCOL_MAX, PROTOCOL_MIN } from '../core/chain/protocol.ts';
export const MAX_HEADERS = 2016;

/** What the methods need from the server they run in. */
export interface MethodHost {
  chain: SandboxChain;
  readonly viewHeight: number;
  readonly lagHeight: number | null;
  readonly fault: FaultKind | null;
  readonly lies: Set<string>;
  readonly protocolMax: string;
  /** What server.version and server.features name (a profile may name the server it rehearses). */
  readonly software: string;
  headerAt(height: number): string;
  headerProof(height: number, cp: number): { branch: string[]; root: string };
  history(sh: string): HistoryItem[];
  status(sh: string): string | null;
  log(line: string): void;
  /** Throws Fulcrum's "Subscription limit reached" (code 4) when one more subscription would pass the cap. */
  checkSubscriptionLimit(): void;
}

export class RpcError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

export type Params = unknown[];
export type Handler = (s: Session, p: Params) => unknown;

export function badParams(msg: string): RpcError {
  return new RpcError(-32602, msg);
}

function int(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw badParams(`${name} must be an integer, got ${JSON.stringify(v) ?? 'nothing'}`);
  return v;
}

function hash32(v: unknown, what: string): string {
  if (typeof v !== 'string' || !/^[0-9a-fA-F]{64}$/.test(v)) throw badParams(`${JSON.stringify(v) ?? 'nothing'} should be a ${what}`);
  return v.toLowerCase();
}

export class Session {
  readonly decoder = new StringDecoder('utf8');
  buf = '';
  version: string | null = null;
  headersSubscribed = false;
  lastTipHash: string | null = null;
  lastTipHeight: number | null = null;
  subs = new Map<string, string | null>();
  queue: string[] = [];
  /** Answers waiting for the next scheduled round (fidelity.ts). */
  held: string[] = [];
  meter: CostMeter | null = null;
  /** ElectrumX-like padding (padding.ts), or null: every write goes out at once. */
  padder: PaddedWriter | null = null;
  closed = false;
  constructor(readonly socket: net.Socket, readonly id: number) {}

  get negotiated(): string {
    return this.version ?? PROTOCOL_MIN;
  }

  write(obj: unknown): void {
    this.writeRaw(JSON.stringify(obj));
  }

  writeRaw(line: string): void {
    if (this.closed || this.socket.destroyed) return;
    if (this.padder) this.padder.write(line + '\n');
    else this.socket.write(line + '\n');
  }
}

export const PARAM_NAMES: Record<string, string[]> = {
  'server.version': ['client_name', 'protocol_version'],
  'blockchain.block.header': ['height', 'cp_height'],
  'blockchain.block.headers': ['start_height', 'count', 'cp_height'],
  'blockchain.scripthash.subscribe': ['scripthash'],
  'blockchain.scripthash.unsubscribe': ['scripthash'],
  'blockchain.scripthash.get_history': ['scripthash'],
  'blockchain.scripthash.get_balance': ['scripthash'],
  'blockchain.scripthash.listunspent': ['scripthash'],
  'blockchain.scripthash.get_mempool': ['scripthash'],
  'blockchain.transaction.get': ['tx_hash', 'verbose'],
  'blockchain.transaction.get_merkle': ['tx_hash', 'height'],
  'blockchain.transaction.id_from_pos': ['height', 'tx_pos', 'merkle'],
  'blockchain.transaction.broadcast': ['raw_tx'],
  'blockchain.estimatefee': ['number', 'mode'],
};

export function buildMethods(host: MethodHost): Record<string, Handler> {
  const chain = host.chain;
  return {
    'server.version': (s, p) => {
      if (s.version !== null) throw new RpcError(1, 'server.version already sent');
      const pv = p[1] ?? PROTOCOL_MIN;
      let min: number[] | null;
      let max: number[] | null;
      if (Array.isArray(pv) && pv.length === 2) {
        min = parseVersion(pv[0] as string);
        max = parseVersion(pv[1] as string);
      } else {
        min = max = parseVersion(pv as string);
      }
      if (!min || !max) throw badParams(`invalid protocol version: ${JSON.stringify(pv)}`);
      const sMin = parseVersion(PROTOCOL_MIN)!;
      const sMax = parseVersion(host.protocolMax)!;
      const chosen = cmpVersion(max, sMax) < 0 ? max : sMax;
      if (cmpVersion(chosen, min) < 0 || cmpVersion(chosen, sMin) < 0) {
        setImmediate(() => s.socket.end());
        throw new RpcError(1, `unsupported protocol version: ${JSON.stringify(pv)}`);
      }
      s.version = chosen.join('.');
      return [host.software, s.version];
    },
    'server.ping': () => null,
    'server.features': () => ({
      genesis_hash: REGTEST_GENESIS_HASH,
      hosts: {},
      protocol_max: host.protocolMax,
      protocol_min: PROTOCOL_MIN,
      pruning: null,
      server_version: host.software,
      hash_function: 'sha256',
      services: [],
    }),
    'server.banner': () => 'Satdesk sandbox: a regtest chain for testing. Nothing here is real money.',
    'server.donation_address': () => '',
    'server.peers.subscribe': () => [],
    'blockchain.headers.subscribe': (s) => {
      s.headersSubscribed = true;
      const h = host.viewHeight;
      if (host.lagHeight === null) {
        s.lastTipHash = chain.tip.hash;
        s.lastTipHeight = chain.height;
      }
      return { height: h, hex: host.headerAt(h) };
    },
    'blockchain.block.header': (_s, p) => {
      const height = int(p[0], 'height');
      const cp = p[1] === undefined ? 0 : int(p[1], 'cp_height');
      const hex = host.headerAt(height);
      return cp ? { header: hex, ...host.headerProof(height, cp) } : hex;
    },
    'blockchain.block.headers': (s, p) => {
      const start = int(p[0], 'start_height');
      const count = int(p[1], 'count');
      const cp = p[2] === undefined ? 0 : int(p[2], 'cp_height');
      if (start < 0 || count < 0) throw badParams('start_height and count must be non-negative');
      const n = Math.max(0, Math.min(count, MAX_HEADERS, host.viewHeight - start + 1));
      let hex = '';
      for (let h = start; h < start + n; h++) hex += chain.blocks[h]!.headerHex;
      // Protocol 1.6 answers one hex string per header (ElectrumX 1.20 `block_headers_array`).
    const v16 = cmpVersion(parseVersion(s.negotiated)!, [1, 6]) >= 0;
    const result: Record<string, unknown> = v16
      ? { count: n, headers: Array.from({ length: n }, (_, i) => hex.slice(i * 160, (i + 1) * 160)), max: MAX_HEADERS }
      : { count: n, hex, max: MAX_HEADERS };
      if (cp && n > 0) Object.assign(result, host.headerProof(start + n - 1, cp));
      return result;
    },
    'blockchain.scripthash.subscribe': (s, p) => {
      const sh = hash32(p[0], 'script hash');
      if (!s.subs.has(sh)) host.checkSubscriptionLimit();
      const st = host.status(sh);
      s.subs.set(sh, st);
      return st;
    },
    'blockchain.scripthash.unsubscribe': (s, p) => {
      if (cmpVersion(parseVersion(s.negotiated)!, [1, 4, 2]) < 0) throw new RpcError(-32601, 'unknown method "blockchain.scripthash.unsubscribe"');
      const sh = hash32(p[0], 'script hash');
      return s.subs.delete(sh);
    },
    'blockchain.scripthash.get_history': (_s, p) => host.history(hash32(p[0], 'script hash')),
    'blockchain.scripthash.get_balance': (_s, p) => chain.balance(hash32(p[0], 'script hash')),
    'blockchain.scripthash.listunspent': (_s, p) => chain.listUnspent(hash32(p[0], 'script hash')),
    'blockchain.scripthash.get_mempool': (_s, p) => host.history(hash32(p[0], 'script hash')).filter((e) => e.height <= 0),
    'blockchain.transaction.get': (_s, p) => {
      const txid = hash32(p[0], 'transaction hash');
      const verbose = p[1] === undefined ? false : p[1];
      if (typeof verbose !== 'boolean') throw badParams('verbose must be a boolean');
      if (host.fault === 'lie' && host.lies.has(txid)) {
        return chain.tip.txs[0]!.hex; // a real transaction, but not the one asked for: it does not hash to txid
      }
      const t = chain.getTx(txid);
      const height = chain.txHeight(txid);
      if (!t || height === undefined) throw new RpcError(2, 'No such mempool or blockchain transaction. Use gettransaction for wallet transactions.');
      if (!verbose) return t.hex;
      const v = decodeTx(t.tx, t.hex);
      if (height > 0) {
        const b = chain.blocks[height]!;
        Object.assign(v, { blockhash: b.hash, confirmations: chain.height - height + 1, time: b.time, blocktime: b.time });
      }
      return v;
    },
    'blockchain.transaction.get_merkle': (_s, p) => {
      const txid = hash32(p[0], 'transaction hash');
      const height = int(p[1], 'height');
      if (host.fault === 'lie') {
        const depth = Math.max(1, Math.ceil(Math.log2(Math.max(2, chain.blocks[height]?.txs.length ?? 2))));
        return { block_height: height, merkle: Array.from({ length: depth }, () => randomBytes(32).toString('hex')), pos: 1 };
      }
      const proof = height <= host.viewHeight ? chain.merkleProof(txid, height) : null;
      if (!proof) throw new RpcError(1, `tx ${txid} not in block at height ${height}`);
      return proof;
    },
    'blockchain.transaction.id_from_pos': (_s, p) => {
      const height = int(p[0], 'height');
      const pos = int(p[1], 'tx_pos');
      const merkle = p[2] === undefined ? false : p[2] === true;
      host.headerAt(height);
      const txs = chain.blocks[height]!.txs;
      if (pos < 0 || pos >= txs.length) throw new RpcError(1, `no tx at position ${pos} in block at height ${height}`);
      const txid = txs[pos]!.txid;
      return merkle ? { tx_hash: txid, merkle: merkleBranch(txs.map((t) => t.txid), pos) } : txid;
    },
    'blockchain.transaction.broadcast': (_s, p) => {
      const hex = p[0];
      if (typeof hex !== 'string') throw badParams('raw_tx must be a hex string');
      try {
        return chain.accept(hex).t.txid;
      } catch (e) {
        if (e instanceof RejectError) {
          host.log(`broadcast rejected: ${e.reason}`);
          throw new RpcError(1, `the transaction was rejected by network rules.\n\n${e.reason}\n[${hex.slice(0, 2000)}]`);
        }
        throw e;
      }
    },
    'blockchain.estimatefee': (_s, p) => {
      const n = int(p[0], 'number');
      if (n < 1) throw badParams('number must be at least 1');
      return 0.00002; // BTC/kvB: 2 sat/vB, above the relay floor
    },
    'blockchain.relayfee': (s) => {
      if (cmpVersion(parseVersion(s.negotiated)!, [1, 6]) >= 0) throw new RpcError(-32601, 'unknown method "blockchain.relayfee"'); // removed in 1.6
      return 0.00001;
    },
    'mempool.get_fee_histogram': () => chain.feeHistogram(),
  };
}
