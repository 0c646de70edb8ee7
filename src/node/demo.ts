/**
 * `satdesk demo [--data-dir D] [--port P]` (docs/spec/api.md#commands): the sandbox chain in-process, the core on regtest watching
 * it, a demo wallet (a vpub from a fixed demo seed), a demo agent and a small local receiver for its callbacks.
 *
 * The console's "simulate payment" buttons reach the sandbox through routes under /api/v1/demo/, which exist only
 * here: the demo wraps the API server's request handler, so a production `serve` never has them (they answer 404
 * there, which is how the console hides the buttons). They take the same Bearer token as the rest of the API.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { networks } from 'bitcoinjs-lib';
import { bip32 } from '../core/ecc.ts';
import { startApp, type App } from './app.ts';
import { dispatch, isMethodName } from './dispatch.ts';
import { startSandbox, type Sandbox } from '../sandbox/index.ts';
import { parsePort, portError } from '../core/port.ts';

/** BIP84 testnet/regtest account m/84'/1'/0' of a fixed, public demo seed: never use it for real money. */
export function demoVpub(): string {
  const seed = crypto.createHash('sha256').update('satdesk demo seed — public, for the sandbox only').digest();
  const net = { ...networks.regtest, bip32: { public: 0x045f1cf6, private: 0x045f18bc } };
  return bip32.fromSeed(seed, net).derivePath("m/84'/1'/0'").neutered().toBase58();
}

export interface ReceivedCallback {
  at: string;
  delivery: string | null;
  test: boolean;
  answered: number;
  body: unknown;
}

export interface DemoReceiver {
  url: string;
  log: ReceivedCallback[];
  /** Answer the next `n` callbacks with 503 (to watch retries in the console). */
  failNext(n: number): void;
  close(): Promise<void>;
}

/** A shop's callback receiver on loopback: logs every callback and answers 200 (or 503 when told to fail). */
export async function startDemoReceiver(): Promise<DemoReceiver> {
  const log: ReceivedCallback[] = [];
  let failing = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = raw;
      try {
        body = JSON.parse(raw);
      } catch {
        // keep the raw text
      }
      const answered = failing > 0 ? 503 : 200;
      if (failing > 0) failing--;
      log.push({
        at: new Date().toISOString(),
        delivery: (req.headers['x-satdesk-delivery'] as string | undefined) ?? null,
        test: req.headers['x-satdesk-test'] === '1',
        answered,
        body,
      });
      if (log.length > 1000) log.shift();
      res.writeHead(answered, { 'Content-Type': 'text/plain' });
      res.end(answered === 200 ? 'ok' : 'demo receiver: failing on purpose');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/callback`,
    log,
    failNext: (n) => {
      failing = n;
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface DemoOptions {
  dataDir?: string;
  port?: number;
  log?: (line: string) => void;
  /** Retry delays of the demo agent (seconds): short, so retries are visible while you watch. */
  agentDelays?: number[];
}

export interface Demo {
  app: App;
  sandbox: Sandbox;
  receiver: DemoReceiver;
  dataDir: string;
  /** A fresh one-time console link at each read. */
  readonly consoleUrl: string;
  agentId: string | null;
  close(): Promise<void>;
}

type PayKind = 'full' | 'partial' | 'over' | 'rest';

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(text);
}

function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 64 * 1024) req.destroy(new Error('body too large'));
      else chunks.push(c);
    });
    req.on('end', () => {
      try {
        const v: unknown = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
        resolve(v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
      } catch {
        reject(new Error('The body is not valid JSON.'));
      }
    });
    req.on('error', reject);
  });
}

async function callMethod(app: App, name: string, raw: { params?: unknown; query?: unknown; body?: unknown }): Promise<unknown> {
  if (!isMethodName(name)) return null;
  return dispatch(app.service, name, raw);
}

/** Installs /api/v1/demo/* in front of the API server's own handler. */
function installDemoRoutes(app: App, sandbox: Sandbox, receiver: DemoReceiver): void {
  // Behind the API server's Host/Origin guard and token check, like every other route.
  app.api!.addRoutes('/api/v1/demo/', (req, res, url) => {
    void handleDemo(req, res, url.pathname.slice('/api/v1/demo/'.length)).catch((e: unknown) => {
      const status = typeof (e as { status?: unknown }).status === 'number' ? (e as { status: number }).status : 400;
      const code = (e as { code?: string }).code ?? 'invalid_request';
      if (!res.headersSent) sendJson(res, status, { error: { code, message: (e as Error).message } });
    });
  });

  async function handleDemo(req: http.IncomingMessage, res: http.ServerResponse, what: string): Promise<void> {
    const method = req.method ?? 'GET';
    if (what === 'status' && method === 'GET') {
      sendJson(res, 200, {
        demo: true,
        sandbox: { electrum_tcp: sandbox.electrumTcpUrl, electrum_tls: sandbox.electrumTlsUrl, control: sandbox.controlUrl, ...sandbox.status() },
        receiver: receiver.url,
      });
      return;
    }
    if (what === 'receiver' && method === 'GET') {
      sendJson(res, 200, { callbacks: receiver.log.slice(-200).reverse() });
      return;
    }
    if (what === 'receiver' && method === 'POST') {
      const b = await readJson(req);
      const n = b.fail_next;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 100) throw new Error('fail_next must be an integer 0–100');
      receiver.failNext(n);
      sendJson(res, 200, { fail_next: n });
      return;
    }
    if (what === 'pay' && method === 'POST') {
      const b = await readJson(req);
      const kind = b.kind as PayKind;
      if (typeof b.invoice_id !== 'string' || !['full', 'partial', 'over', 'rest'].includes(kind)) {
        throw new Error('pay takes {"invoice_id", "kind": "full"|"partial"|"over"|"rest"}');
      }
      const inv = (await callMethod(app, 'getInvoice', { params: { id: b.invoice_id } })) as { address: string; amount_sats: number; missing_sats: number };
      const sats =
        kind === 'full'
          ? inv.amount_sats
          : kind === 'partial'
            ? Math.max(1000, Math.floor(inv.amount_sats / 2))
            : kind === 'over'
              ? inv.amount_sats + Math.max(1000, Math.floor(inv.amount_sats / 10))
              : Math.max(inv.missing_sats, 546);
      const r = sandbox.pay({ address: inv.address, sats });
      sendJson(res, 200, { txid: r.txid, sats });
      return;
    }
    if (what === 'mine' && method === 'POST') {
      const b = await readJson(req);
      const blocks = b.blocks ?? 1;
      if (typeof blocks !== 'number' || !Number.isInteger(blocks) || blocks < 1 || blocks > 100) throw new Error('blocks must be an integer 1–100');
      sendJson(res, 200, sandbox.mine(blocks));
      return;
    }
    sendJson(res, 404, { error: { code: 'not_found', message: `No demo route ${method} ${what}.` } });
  }
}

/** Starts everything the demo needs; `close()` stops it in reverse order. */
export async function startDemo(opts: DemoOptions = {}): Promise<Demo> {
  const log = opts.log ?? (() => {});
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'satdesk-demo-'));
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const sandbox = await startSandbox({ dataDir: path.join(dataDir, 'sandbox'), log });
  let receiver: DemoReceiver | null = null;
  let app: App | null = null;
  try {
    receiver = await startDemoReceiver();
    app = await startApp({
      dataDir: path.join(dataDir, 'satdesk'),
      network: 'regtest',
      port: opts.port ?? 8787,
      electrum: [sandbox.electrumTcpUrl],
      log,
    });
    const svc = app.service;
    const wallet = svc.walletView();
    if (wallet.kind === 'static' && svc.sysinfo().addresses.total === 0) {
      await callMethod(app, 'putWallet', { body: { xpub: demoVpub() } });
    }
    const settings = (await callMethod(app, 'getSettings', {})) as { fiat: { rates: Record<string, string> }; refund_policy: string };
    if (!settings.fiat.rates.USD) await callMethod(app, 'patchSettings', { body: { fiat: { currency: 'USD', rates: { USD: '65000.00' } } } });
    if (!settings.refund_policy) {
      await callMethod(app, 'patchSettings', { body: { refund_policy: 'Demo shop: refunds within 14 days to an address you give us, at the BTC amount paid.' } });
    }
    let agentId: string | null = null;
    if (isMethodName('listAgents') && isMethodName('createAgent')) {
      const { agents } = (await callMethod(app, 'listAgents', {})) as { agents: { id: string; name: string }[] };
      const existing = agents.find((a) => a.name === 'demo-shop');
      const delays = opts.agentDelays ?? [5, 5, 5, 5, 5];
      if (existing) {
        // A new run has a new receiver port.
        await callMethod(app, 'patchAgent', { params: { id: existing.id }, body: { url: receiver.url, retry: { delays_s: delays } } });
        agentId = existing.id;
      } else {
        const a = (await callMethod(app, 'createAgent', {
          body: { name: 'demo-shop', url: receiver.url, thresholds: [0, 1], format: 'bitcoinmonitor', retry: { delays_s: delays } },
        })) as { id: string };
        agentId = a.id;
      }
    }
    installDemoRoutes(app, sandbox, receiver);
    const a = app;
    const r = receiver;
    return {
      app: a,
      sandbox,
      receiver: r,
      dataDir,
      get consoleUrl() {
        return a.consoleUrl!;
      },
      agentId,
      close: async () => {
        await a.close();
        await r.close();
        await sandbox.close();
      },
    };
  } catch (e) {
    await app?.close();
    await receiver?.close();
    await sandbox.close();
    throw e;
  }
}

export async function runDemoCommand(argv: string[]): Promise<number> {
  let v: { 'data-dir'?: string; port?: string };
  try {
    v = parseArgs({ args: argv, options: { 'data-dir': { type: 'string' }, port: { type: 'string' } }, strict: true, allowPositionals: false }).values;
  } catch (e) {
    console.error(`satdesk demo: ${(e as Error).message}\nUsage: satdesk demo [--data-dir D] [--port P]`);
    return 2;
  }
  const port = v.port === undefined ? 8787 : parsePort(v.port, { allowZero: true });
  if (port === null) {
    console.error(`satdesk demo: ${portError('--port', v.port, { allowZero: true })}`);
    return 2;
  }
  const demo = await startDemo({ dataDir: v['data-dir'], port, log: (l) => console.error(l) });
  const s = demo.sandbox;
  console.log(`Satdesk demo (regtest sandbox, no real money) in ${demo.dataDir}`);
  console.log(`Sandbox Electrum: ${s.electrumTcpUrl} and ${s.electrumTlsUrl}`);
  console.log(`Sandbox control API: ${s.controlUrl}`);
  console.log(`Demo receiver (agent demo-shop): ${demo.receiver.url}`);
  console.log(`API: ${demo.app.api!.url}/api/v1`);
  console.log(`Console: ${demo.consoleUrl}`);
  await new Promise<void>((resolve) => {
    const on = (): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve();
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
  console.error('shutting down');
  await demo.close();
  return 0;
}
