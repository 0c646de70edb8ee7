/**
 * Helpers for the callback tests: chain facts written through `service.write` the way the chain watcher writes
 * them, and a scriptable HTTP receiver on loopback that records every request.
 */
import http from 'node:http';
import crypto from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { until } from './wait.ts';

export { until };
import type { Satdesk } from '../../src/node/service.ts';
import { getInvoiceRow, refreshInvoice } from '../../src/node/invoices.ts';
import { afterEach } from 'vitest';
import type { App } from '../../src/node/app.ts';
import { startTestApp, type ApiClient } from './api.ts';
import { invoiceIdOf, invoiceSeqOf } from '../../src/node/store/chain-sql.ts';

export const VPUB = 'vpub5SLqN2bLY4WeZJ9SmNJHsyzqVKreTXD4ZnPC22MugDNcjhKX5xNX9QiQWcE4SSRzVWyHWUihpKRT7hckDGNzVc69wSX2JPcfGeNiT5c2XZy';

export function randomTxid(): string {
  return crypto.randomBytes(32).toString('hex');
}

export function setTip(service: Satdesk, height: number): void {
  service.write(() => {
    service.db
      .prepare("INSERT INTO chain_state (key, value) VALUES ('tip_height', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
      .run(String(height));
  });
}

export interface PaymentFacts {
  address: string;
  sats: number;
  txid?: string;
  height?: number;
  firstSeen?: number;
  blockTime?: number | null;
  tip?: number;
  /** Seen before any invoice held the address. */
  unattributed?: boolean;
}

/** Inserts one payment (and optionally the tip) in one write, refreshing its invoice, as the watcher does. */
export function addPayment(service: Satdesk, f: PaymentFacts): { id: number; txid: string } {
  const txid = f.txid ?? randomTxid();
  const id = service.write(() => {
    const db = service.db;
    if (f.tip !== undefined) {
      db.prepare("INSERT INTO chain_state (key, value) VALUES ('tip_height', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(
        String(f.tip),
      );
    }
    const a = db.prepare('SELECT id, invoice_id FROM addresses WHERE address = ?').get(f.address) as { id: number; invoice_id: string | null };
    const height = f.height ?? 0;
    const invoiceId = f.unattributed ? null : a.invoice_id;
    // The payment's time: its block's when that came first (a payment found confirmed), else when it was seen; only
    // the former is stored apart from first_seen (migration 031).
    const seen = f.firstSeen ?? service.clock.now();
    const timeOwn = f.blockTime !== undefined && f.blockTime !== null && f.blockTime < seen ? f.blockTime : null;
    const r = db
      .prepare(
        `INSERT INTO payments (txid, address_id, sats, invoice_seq, height, block_time, first_seen, time_own, rbf, verified, state_code)
         VALUES (unhex(?), ?, ?, ${invoiceSeqOf('?')}, ?, ?, ?, ?, 0, ?, 0)`,
      )
      .run(txid, a.id, f.sats, invoiceId, height, f.blockTime ?? null, seen, timeOwn, height > 0 ? 1 : 0);
    if (invoiceId) refreshInvoice(db, getInvoiceRow(db, invoiceId)!, service.refreshContext());
    return Number(r.lastInsertRowid);
  });
  return { id, txid };
}

/** Confirms a payment in a block at `height` and moves the tip, in one write. */
export function confirm(service: Satdesk, paymentId: number, height: number, tip: number): void {
  service.write(() => {
    const db = service.db;
    db.prepare('UPDATE payments SET height = ?, verified = 1, block_time = COALESCE(block_time, first_seen) WHERE id = ?').run(height, paymentId);
    db.prepare("INSERT INTO chain_state (key, value) VALUES ('tip_height', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(String(tip));
    const p = db.prepare(`SELECT ${invoiceIdOf('p')} AS invoice_id FROM payments p WHERE p.id = ?`).get(paymentId) as { invoice_id: string | null };
    if (p.invoice_id) refreshInvoice(db, getInvoiceRow(db, p.invoice_id)!, service.refreshContext());
  });
}

export interface Received {
  n: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  start: number;
  end: number;
  status: number;
}

export interface Reply {
  status?: number;
  body?: string;
  headers?: Record<string, string>;
  delayMs?: number;
  /** Never answer (for timeouts). */
  hang?: boolean;
}

export interface TestReceiver {
  url: string;
  requests: Received[];
  close(): Promise<void>;
  waitFor(count: number, timeoutMs?: number): Promise<Received[]>;
}

/** A loopback receiver; `reply(n, req)` decides each answer (n counts from 1). */
export async function startReceiver(reply: (n: number, headers: http.IncomingHttpHeaders, body: string) => Reply = () => ({})): Promise<TestReceiver> {
  const requests: Received[] = [];
  let n = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const i = ++n;
      const body = Buffer.concat(chunks).toString('utf8');
      const r = reply(i, req.headers, body);
      const rec: Received = { n: i, headers: req.headers, body, start: Date.now(), end: 0, status: r.status ?? 200 };
      requests.push(rec);
      if (r.hang) return;
      setTimeout(() => {
        rec.end = Date.now();
        res.writeHead(r.status ?? 200, { 'Content-Type': 'text/plain', ...(r.headers ?? {}) });
        res.end(r.body ?? 'ok');
      }, r.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`;
  return {
    url,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
    waitFor: (count, timeoutMs = 15_000) => until(() => (requests.length >= count ? requests : null), `${count} requests at the receiver (${requests.length} so far)`, timeoutMs),
  };
}

/** A documented receiver (docs/receivers) as a real process; every JSON line it prints is collected. */
export async function startDocReceiver(cmd: string, args: string[], token: string): Promise<{ url: string; lines: Record<string, unknown>[]; proc: ChildProcess; stop(): void }> {
  const proc = spawn(cmd, args, { env: { ...process.env, SATDESK_TOKEN: token, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: Record<string, unknown>[] = [];
  let buf = '';
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        /* not ours */
      }
    }
  });
  const first = await until(() => lines.find((l) => typeof l.listening === 'string'), `${cmd} to listen`, 10_000);
  return { url: first.listening as string, lines, proc, stop: () => proc.kill('SIGKILL') };
}

/**
 * For a callbacks test file: apps with a watch-only wallet and loopback receivers, all closed after each test.
 * Call once at the top of the file (it registers the afterEach).
 */
export function callbackFixtures(): {
  setup(): Promise<{ app: App; api: ApiClient; dataDir: string }>;
  receiver(reply?: Parameters<typeof startReceiver>[0]): Promise<TestReceiver>;
  onCleanup(fn: () => Promise<void> | void): void;
} {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });
  return {
    async setup() {
      const t = await startTestApp();
      cleanups.push(() => t.app.close());
      const r = await t.api.call('PUT', '/wallet', { xpub: VPUB });
      if (r.status !== 200) throw new Error(`wallet: ${r.status}`);
      return t;
    },
    async receiver(reply) {
      const r = await startReceiver(reply);
      cleanups.push(() => r.close());
      return r;
    },
    onCleanup: (fn) => cleanups.push(fn),
  };
}
