import net from 'node:net';
import tls from 'node:tls';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Transaction, crypto, payments, script as bscript } from 'bitcoinjs-lib';
import { ECPairFactory, type ECPairInterface } from 'ecpair';
import { ecc } from '../../src/core/ecc.ts';
import { hexToHash } from '../../src/core/chain/bytes.ts';
import { scriptHashOfScript } from '../../src/core/chain/index.ts';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/index.ts';
import { NETWORK } from '../../src/sandbox/tx.ts';
import { until } from './wait.ts';

const ECPair = ECPairFactory(ecc);


/** A started sandbox plus a tiny HTTP client for its control API. */
export interface TestSandbox {
  sb: Sandbox;
  control<T = Record<string, unknown>>(method: 'GET' | 'POST', route: string, body?: unknown): Promise<{ status: number; body: T }>;
  close(): Promise<void>;
}

export async function startTestSandbox(opts: SandboxOptions = {}): Promise<TestSandbox> {
  const sb = await startSandbox({ host: '127.0.0.1', port: 0, tlsPort: 0, controlPort: 0, ...opts });
  return {
    sb,
    async control<T>(method: 'GET' | 'POST', route: string, body?: unknown) {
      const res = await fetch(`${sb.controlUrl}${route}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
        signal: AbortSignal.timeout(20_000),
      });
      return { status: res.status, body: (await res.json()) as T };
    },
    close: () => sb.close(),
  };
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface RpcMessage {
  jsonrpc?: string;
  id?: number | string | null;
  method?: string;
  params?: unknown[];
  result?: unknown;
  error?: { code: number; message: string };
}

/**
 * A raw line-oriented JSON-RPC client over TCP or TLS for tests: requests by id with a timeout, notifications
 * and non-JSON lines kept in order for assertions.
 */
export class RawRpc {
  private buf = '';
  private nextId = 1;
  private pending = new Map<number, (m: RpcMessage) => void>();
  readonly notifications: RpcMessage[] = [];
  readonly garbage: string[] = [];
  readonly lines: string[] = [];
  closed = false;
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.buf += d;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        this.lines.push(line);
        let m: RpcMessage | RpcMessage[];
        try {
          m = JSON.parse(line) as RpcMessage | RpcMessage[];
        } catch {
          this.garbage.push(line);
          this.wake();
          continue;
        }
        for (const one of Array.isArray(m) ? m : [m]) {
          if (one.method) this.notifications.push(one);
          else if (typeof one.id === 'number' && this.pending.has(one.id)) {
            this.pending.get(one.id)!(one);
            this.pending.delete(one.id);
          } else this.notifications.push(one);
        }
        if (Array.isArray(m)) this.batches.push(m);
        this.wake();
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  readonly batches: RpcMessage[][] = [];

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  static connect(port: number, opts: { tls?: boolean; host?: string } = {}): Promise<RawRpc> {
    const host = opts.host ?? '127.0.0.1';
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('connect timeout')), 5000);
      const done = (s: net.Socket): void => {
        clearTimeout(timer);
        resolve(new RawRpc(s));
      };
      if (opts.tls) {
        const s = tls.connect({ host, port, rejectUnauthorized: false }, () => done(s));
        s.once('error', reject);
      } else {
        const s = net.connect({ host, port }, () => done(s));
        s.once('error', reject);
      }
    });
  }

  send(line: string): void {
    this.socket.write(line.endsWith('\n') ? line : line + '\n');
  }

  /** Send a request; resolves with the whole response message (result or error). */
  request(method: string, params?: unknown[], timeoutMs = 5000): Promise<RpcMessage> {
    const id = this.nextId++;
    const msg = params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`timeout waiting for ${method}`));
      }, timeoutMs);
      this.pending.set(id, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      this.send(JSON.stringify(msg));
    });
  }

  /** Request and return `result`, throwing on an error response. */
  async call<T = unknown>(method: string, params?: unknown[], timeoutMs?: number): Promise<T> {
    const m = await this.request(method, params, timeoutMs);
    if (m.error) throw new Error(`${method}: ${m.error.code} ${m.error.message}`);
    return m.result as T;
  }

  /** Wait until `pred` holds (checked on every incoming line and close). */
  async until(pred: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
    await until(pred, what, {
      timeoutMs,
      everyMs: 200,
      wake: (check) => {
        this.waiters.push(check);
        return () => {
          const i = this.waiters.indexOf(check);
          if (i >= 0) this.waiters.splice(i, 1);
        };
      },
    });
  }

  /** Wait for the next notification of `method` after index `from`; returns it. */
  async notification(method: string, from = 0, timeoutMs = 5000, filter: (m: RpcMessage) => boolean = () => true): Promise<RpcMessage> {
    let found: RpcMessage | undefined;
    await this.until(() => (found = this.notifications.slice(from).find((n) => n.method === method && filter(n))) !== undefined, timeoutMs, `notification ${method}`);
    return found!;
  }

  close(): void {
    this.socket.destroy();
  }
}

export type Kind = 'p2pkh' | 'p2sh-p2wpkh' | 'p2wpkh' | 'p2tr';

/** A test-side key that can receive and spend each script type, signed by hand (not by the sandbox wallet). */
export class TestKey {
  readonly key: ECPairInterface = ECPair.makeRandom({ network: NETWORK });
  constructor(readonly kind: Kind) {}
  get xonly(): Uint8Array {
    return this.key.publicKey.subarray(1, 33);
  }
  payment(): payments.Payment {
    const pubkey = this.key.publicKey;
    switch (this.kind) {
      case 'p2pkh':
        return payments.p2pkh({ pubkey, network: NETWORK });
      case 'p2wpkh':
        return payments.p2wpkh({ pubkey, network: NETWORK });
      case 'p2sh-p2wpkh':
        return payments.p2sh({ redeem: payments.p2wpkh({ pubkey, network: NETWORK }), network: NETWORK });
      case 'p2tr':
        return payments.p2tr({ internalPubkey: this.xonly, network: NETWORK });
    }
  }
  get address(): string {
    return this.payment().address!;
  }
  get script(): Uint8Array {
    return this.payment().output!;
  }
  get scripthash(): string {
    return scriptHashOfScript(this.script);
  }
  /** Spend one output (txid:vout of `value`) to `to`, signed; `corrupt` flips a signature bit. */
  spend(prevTxid: string, vout: number, value: number, to: Uint8Array, out: number, opts: { corrupt?: boolean; sequence?: number } = {}): Transaction {
    const tx = new Transaction();
    tx.version = 2;
    tx.addInput(hexToHash(prevTxid), vout, opts.sequence ?? 0xfffffffd);
    tx.addOutput(to, BigInt(out));
    const prevScript = this.payment().output!;
    const flip = (sig: Uint8Array): Uint8Array => {
      if (!opts.corrupt) return sig;
      const s = Uint8Array.from(sig);
      s[10] = s[10]! ^ 1;
      return s;
    };
    const pubkey = this.key.publicKey;
    if (this.kind === 'p2tr') {
      const tweak = crypto.taggedHash('TapTweak', this.xonly);
      const tweaked = this.key.tweak(tweak);
      const hash = tx.hashForWitnessV1(0, [prevScript], [BigInt(value)], Transaction.SIGHASH_DEFAULT);
      tx.setWitness(0, [flip(tweaked.signSchnorr(hash))]);
    } else if (this.kind === 'p2pkh') {
      const hash = tx.hashForSignature(0, prevScript, Transaction.SIGHASH_ALL);
      const sig = bscript.signature.encode(flip(this.key.sign(hash)), Transaction.SIGHASH_ALL);
      tx.setInputScript(0, bscript.compile([sig, pubkey]));
    } else {
      const program = payments.p2wpkh({ pubkey, network: NETWORK });
      const scriptCode = payments.p2pkh({ pubkey, network: NETWORK }).output!;
      const hash = tx.hashForWitnessV0(0, scriptCode, BigInt(value), Transaction.SIGHASH_ALL);
      const sig = bscript.signature.encode(flip(this.key.sign(hash)), Transaction.SIGHASH_ALL);
      tx.setWitness(0, [sig, pubkey]);
      if (this.kind === 'p2sh-p2wpkh') tx.setInputScript(0, bscript.compile([program.output!]));
    }
    return tx;
  }
}

