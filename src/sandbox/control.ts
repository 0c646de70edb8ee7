import http from 'node:http';
import type { SandboxChain } from './chain.ts';
import type { ElectrumServer, FaultKind } from './electrum-server.ts';
import { FAULT_KINDS } from './electrum-server.ts';
import { addressToScript } from './tx.ts';
import { WalletError, type SandboxWallet } from './wallet.ts';

export class ControlError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
    this.name = 'ControlError';
  }
}

export interface SandboxStatus {
  height: number;
  tip_hash: string;
  mempool: string[];
  fault: FaultKind | null;
}

const MAX_BODY = 1_000_000;
const TXID = /^[0-9a-f]{64}$/;

function invalid(message: string): ControlError {
  return new ControlError(400, 'invalid_request', message);
}

function obj(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('body must be a JSON object');
  return body as Record<string, unknown>;
}

function onlyKeys(b: Record<string, unknown>, allowed: string[]): void {
  for (const k of Object.keys(b)) if (!allowed.includes(k)) throw invalid(`unknown field "${k}"`);
}

function intIn(v: unknown, name: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) throw invalid(`${name} must be an integer ${min}..${max}`);
  return v;
}

const WALLET_STATUS: Record<WalletError['code'], number> = {
  invalid_address: 400,
  invalid_amount: 400,
  insufficient_funds: 409,
  not_found: 404,
  not_ours: 409,
  rejected: 409,
};

function walletCall<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof WalletError) throw new ControlError(WALLET_STATUS[e.code], e.code, e.message);
    throw e;
  }
}

/** The control operations, validated, shared by the HTTP API and in-process callers. */
export class SandboxControl {
  constructor(private chain: SandboxChain, private wallet: SandboxWallet, private server: ElectrumServer) {}

  status(): SandboxStatus {
    return { height: this.chain.height, tip_hash: this.chain.tip.hash, mempool: [...this.chain.mempool.keys()], fault: this.server.fault };
  }

  pay(body: unknown): { txid: string } {
    const b = obj(body);
    onlyKeys(b, ['address', 'sats', 'outputs', 'rbf', 'unconfirmed_parent']);
    if (b.rbf !== undefined && typeof b.rbf !== 'boolean') throw invalid('rbf must be a boolean');
    if (b.unconfirmed_parent !== undefined && typeof b.unconfirmed_parent !== 'boolean') throw invalid('unconfirmed_parent must be a boolean');
    let outputs: { address: string; sats: number }[];
    if (b.outputs !== undefined) {
      if (b.address !== undefined || b.sats !== undefined) throw invalid('give either address+sats or outputs, not both');
      if (!Array.isArray(b.outputs) || b.outputs.length === 0 || b.outputs.length > 1000) throw invalid('outputs must be a non-empty array (max 1000)');
      outputs = b.outputs.map((o: unknown, i) => {
        const r = obj(o);
        onlyKeys(r, ['address', 'sats']);
        if (typeof r.address !== 'string') throw invalid(`outputs[${i}].address must be a string`);
        if (typeof r.sats !== 'number') throw new ControlError(400, 'invalid_amount', `outputs[${i}].sats must be an integer`);
        return { address: r.address, sats: r.sats };
      });
    } else {
      if (typeof b.address !== 'string') throw invalid('address must be a string');
      if (typeof b.sats !== 'number') throw new ControlError(400, 'invalid_amount', 'sats must be an integer');
      outputs = [{ address: b.address, sats: b.sats }];
    }
    if (b.unconfirmed_parent === true) return { txid: walletCall(() => this.wallet.payFromUnconfirmed(this.chain, outputs, b.rbf === true)) };
    return { txid: walletCall(() => this.wallet.pay(this.chain, outputs, b.rbf === true)) };
  }

  mine(body: unknown): { height: number; hashes: string[] } {
    const b = obj(body ?? {});
    onlyKeys(b, ['blocks', 'address']);
    const n = b.blocks === undefined ? 1 : intIn(b.blocks, 'blocks', 1, 1000);
    let script: Uint8Array | undefined;
    if (b.address !== undefined) {
      if (typeof b.address !== 'string') throw invalid('address must be a string');
      try {
        script = addressToScript(b.address);
      } catch {
        throw new ControlError(400, 'invalid_address', `not a regtest address: ${b.address}`);
      }
    }
    const blocks = this.chain.mine(n, script);
    return { height: this.chain.height, hashes: blocks.map((x) => x.hash) };
  }

  reorg(body: unknown): { height: number } {
    const b = obj(body);
    onlyKeys(b, ['depth', 'drop', 'blocks']);
    const depth = intIn(b.depth, 'depth', 1, Math.min(1000, this.chain.height));
    // Fewer new blocks than removed ones: the chain gets shorter (what `invalidateblock` does to a real node).
    const blocks = b.blocks === undefined ? depth : intIn(b.blocks, 'blocks', 0, 1000);
    let drop: string[] = [];
    if (b.drop !== undefined) {
      if (!Array.isArray(b.drop) || !b.drop.every((d) => typeof d === 'string' && TXID.test(d))) throw invalid('drop must be an array of txids');
      drop = b.drop as string[];
    }
    return { height: this.chain.reorg(depth, drop, blocks).height };
  }

  doubleSpend(body: unknown): { txid: string } {
    const b = obj(body);
    onlyKeys(b, ['txid']);
    if (typeof b.txid !== 'string' || !TXID.test(b.txid)) throw invalid('txid must be 64 lowercase hex digits');
    const txid = b.txid;
    return { txid: walletCall(() => this.wallet.doubleSpend(this.chain, txid)) };
  }

  fault(body: unknown): SandboxStatus {
    const b = obj(body);
    onlyKeys(b, ['kind', 'seconds']);
    if (b.kind !== 'none' && !FAULT_KINDS.includes(b.kind as FaultKind)) throw invalid(`kind must be one of ${[...FAULT_KINDS, 'none'].join(', ')}`);
    let seconds: number | undefined;
    if (b.seconds !== undefined) {
      if (typeof b.seconds !== 'number' || !(b.seconds > 0) || b.seconds > 86_400) throw invalid('seconds must be a number in (0, 86400]');
      seconds = b.seconds;
    }
    this.server.setFault(b.kind === 'none' ? null : (b.kind as FaultKind), seconds);
    return this.status();
  }
}

function readBody(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new ControlError(413, 'payload_too_large', `body over ${MAX_BODY} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (!text.trim()) return resolve(undefined);
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(invalid('body is not valid JSON'));
      }
    });
    req.on('error', reject);
  });
}

/** HTTP JSON control API: every success 200, errors 4xx {"error":{"code","message"}}. */
export function createControlServer(control: SandboxControl, log: (l: string) => void): http.Server {
  const routes: Record<string, (body: unknown) => unknown> = {
    'GET /status': () => control.status(),
    'POST /pay': (b) => control.pay(b),
    'POST /mine': (b) => control.mine(b),
    'POST /reorg': (b) => control.reorg(b),
    'POST /double-spend': (b) => control.doubleSpend(b),
    'POST /fault': (b) => control.fault(b),
  };
  return http.createServer((req, res) => {
    const send = (status: number, payload: unknown): void => {
      const body = JSON.stringify(payload);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
      res.end(body);
    };
    const path = (req.url ?? '/').split('?')[0]!;
    const route = routes[`${req.method} ${path}`];
    if (!route) {
      const known = Object.keys(routes).some((r) => r.endsWith(` ${path}`));
      send(known ? 405 : 404, { error: { code: known ? 'method_not_allowed' : 'not_found', message: `${req.method} ${path} is not a sandbox route` } });
      return;
    }
    readBody(req)
      .then((body) => {
        const result = route(body);
        log(`${req.method} ${path} -> 200`);
        send(200, result);
      })
      .catch((e: unknown) => {
        if (e instanceof ControlError) {
          log(`${req.method} ${path} -> ${e.status} ${e.code}: ${e.message}`);
          send(e.status, { error: { code: e.code, message: e.message } });
        } else {
          log(`${req.method} ${path} -> 500: ${(e as Error).stack ?? String(e)}`);
          send(500, { error: { code: 'internal', message: (e as Error).message } });
        }
      });
  });
}
