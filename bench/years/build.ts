/**
 * The years store. Invoices are made through the service — the handlers the API calls, the watcher's recorder for
 * payments, the notification planner in every write, the time-driven re-evaluation — on a simulated clock, one
 * invoice every ~95 s (a million in three years), against a sandbox chain whose headers the store holds, so
 * `satdesk serve --electrum` on it syncs as a shop's would. Past payments are recorded with the chain status the
 * sandbox reports for their addresses (none), so the watcher leaves them alone as it leaves a shop's settled history.
 *
 * Making a million invoices one by one through the service would take an hour on the 2-core machine, so the first
 * TEMPLATE invoices are made that way and the rest are copies of them shifted in time and renamed (replicate.ts):
 * every row is one the service wrote. Built once per (n, schema, recipe) under bench/.work/years/, copied per run.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { networks } from 'bitcoinjs-lib';
import { bip32 } from '../../src/core/ecc.ts';
import { startSandbox } from '../../src/sandbox/index.ts';
import { startApp } from '../../src/node/app.ts';
import { openDatabase, statementCache } from '../../src/node/store/sqlite.ts';
import { MIGRATIONS } from '../../src/node/store/migrations/index.ts';
import { Satdesk } from '../../src/node/service.ts';
import { Recorder } from '../../src/node/watcher/recorder.ts';
import { HeaderStore } from '../../src/node/watcher/headers.ts';
import type { AddressRow, EntryFacts } from '../../src/node/watcher/history.ts';
import type { PaymentRow } from '../../src/node/invoices.ts';
import { CallbackSender } from '../../src/node/callbacks/sender.ts';
import { pruneAll } from '../../src/node/retention.ts';
import { amountFor, labelFor, pickFate, rng, type Fate } from './mix.ts';
import { replicate } from './replicate.ts';
import { addressArgs, addressMatch, PAYMENT_COLUMNS, scripthashOf } from '../../src/node/store/chain-sql.ts';

/** Bump when the store's recipe changes (the schema is part of the key by itself). */
const RECIPE = 7;
/** Invoices made one by one through the service; the rest of a larger store are copies of them. */
export const TEMPLATE = Number(process.env.BENCH_YEARS_TEMPLATE ?? 20_000);
/** One invoice every ~95 s: a million in three years, as a busy shop's. */
export const SPACING_MS = Math.floor((3 * 365 * 86_400_000) / 1_000_000);
const SANDBOX_HEIGHT = 1_200;
const MIN = 60_000;

export interface YearsStore {
  /** The cached data dir (satdesk.sqlite) and sandbox dir (chain.json): copy them before use. */
  dataDir: string;
  sandboxDir: string;
  invoices: number;
  buildSeconds: number;
  /** Existing values to search for. */
  samples: { userdata: string[]; labels: string[]; addresses: string[]; txids: string[] };
}

export function schemaHash(): string {
  return crypto.createHash('sha256').update(JSON.stringify(MIGRATIONS)).digest('hex').slice(0, 12);
}

/**
 * A store of `n` invoices, the last made about a day ago. `span` (default `n`): how many invoices' time the store
 * starts back from now — a template for a larger store starts where that store starts.
 */
export async function yearsStore(root: string, n: number, log: (l: string) => void, span = n): Promise<YearsStore> {
  const k = Math.min(n, TEMPLATE);
  const dir = path.join(root, `store-${n}${span === n ? '' : `-of-${span}`}-schema-${schemaHash()}-r${RECIPE}-t${k}`);
  const info = path.join(dir, 'built.json');
  if (fs.existsSync(info)) return JSON.parse(fs.readFileSync(info, 'utf8')) as YearsStore;
  for (const old of fs.existsSync(root) ? fs.readdirSync(root) : []) {
    if (old.startsWith(`store-${n}-`) && !old.startsWith(path.basename(dir))) fs.rmSync(path.join(root, old), { recursive: true, force: true });
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const t0 = Date.now();
  let out: YearsStore;
  if (n <= k) {
    const built = await buildTemplate(dir, n, Date.now() - span * SPACING_MS - 86_400_000, log);
    out = { ...built, invoices: n, buildSeconds: 0 };
  } else {
    // The template is a store of its own (cached too), copied and grown.
    const template = await yearsStore(root, k, log, n);
    fs.mkdirSync(dir, { recursive: true });
    const dataDir = path.join(dir, 'data');
    const sandboxDir = path.join(dir, 'sandbox');
    fs.cpSync(template.dataDir, dataDir, { recursive: true });
    fs.cpSync(template.sandboxDir, sandboxDir, { recursive: true });
    const now = replicate(path.join(dataDir, 'satdesk.sqlite'), { template: k, copies: Math.ceil(n / k) - 1, shiftMs: k * SPACING_MS, total: n }, log);
    await retention(dataDir, now);
    out = { dataDir, sandboxDir, samples: template.samples, invoices: n, buildSeconds: template.buildSeconds };
  }
  out.buildSeconds = Math.round(out.buildSeconds * 10 + (Date.now() - t0) / 100) / 10;
  fs.writeFileSync(info, JSON.stringify(out));
  log(`years: ${n.toLocaleString('en')} invoices (${k.toLocaleString('en')} through the service) built in ${out.buildSeconds} s`);
  return out;
}

/** The callback sender delivers every planned callback to a receiver that answers at once (the real sender's rows). */
async function deliverAll(service: Satdesk): Promise<void> {
  const receiver = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/callback`;
  const h = service.handlers;
  const { agents } = (await h.listAgents({} as never)) as { agents: { id: string }[] };
  for (const a of agents) await h.patchAgent({ params: { id: a.id }, body: { url } } as never);
  const sender = new CallbackSender(service);
  sender.start();
  const open = service.db.prepare("SELECT COUNT(*) AS n FROM deliveries WHERE state IN ('PENDING', 'RETRY')");
  while ((open.get() as { n: number }).n > 0) await new Promise((r) => setTimeout(r, 50));
  await sender.stop();
  await new Promise((r) => receiver.close(r));
  // The agent points nowhere until a bench run points it at its own receiver.
  for (const a of agents) await h.patchAgent({ params: { id: a.id }, body: { url: 'http://127.0.0.1:9/callback' } } as never);
}

/** The app's hourly maintenance, once, at the store's "now": what years of a running shop would have pruned. */
async function retention(dataDir: string, now: number): Promise<void> {
  const db = openDatabase(path.join(dataDir, 'satdesk.sqlite'));
  db.pragma('synchronous = OFF');
  await pruneAll(new Satdesk({ db, dataDir, network: 'regtest', clock: { now: () => now } }), now);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

interface Action {
  at: number;
  seq: number;
  /** The address whose history this records: one record per address per group commit. */
  address?: string;
  run: () => void | Promise<void>;
}

async function buildTemplate(dir: string, n: number, start: number, log: (l: string) => void): Promise<Omit<YearsStore, 'invoices' | 'buildSeconds'>> {
  const dataDir = path.join(dir, 'data');
  const sandboxDir = path.join(dir, 'sandbox');
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // The chain's blocks are mined at the simulated times the payments below confirm at (heightAt), so that a
  // confirmation's header time (docs/decisions/0055-confirmed-at-from-headers.md) falls where a real shop's would.
  const end = start + n * SPACING_MS;
  const span = end - start + 3_600_000;
  let chainNow = start - 7_200_000;
  const sb = await startSandbox({ dataDir: sandboxDir, now: () => chainNow });
  for (let h = sb.chain.height + 1; h <= SANDBOX_HEIGHT; h++) {
    chainNow = start + Math.max(0, Math.ceil(((h - 102) / (SANDBOX_HEIGHT - 120)) * span));
    sb.chain.mine(1);
  }
  // The store's header chain and tip come from the watcher itself, as on a shop's first start.
  const xpub = bip32.fromSeed(crypto.randomBytes(32), networks.testnet).derivePath("m/84'/1'/0'").neutered().toBase58();
  const app = await startApp({ dataDir, network: 'regtest', electrum: [sb.electrumTcpUrl], http: false, log: () => {} });
  await app.service.handlers.putWallet({ body: { xpub, script: 'p2wpkh' } } as never);
  await app.watcher!.waitSynced(60_000);
  await app.close();
  const blocks = sb.chain.blocks.map((b) => ({ hash: b.hash, time: b.time * 1000 }));
  await sb.close();

  let now = start;
  const clock = { now: () => now };
  const db = openDatabase(path.join(dataDir, 'satdesk.sqlite'));
  db.pragma('synchronous = OFF'); // bulk build only: serve reopens with FULL
  const service = new Satdesk({ db, dataDir, network: 'regtest', clock });
  const h = service.handlers;
  await h.patchSettings({ body: { fiat: { currency: 'EUR', rates: { EUR: '90000' } } } } as never);
  // One shop endpoint in the seed format, told at once and after six blocks (the README's example).
  await h.createAgent({ body: { name: 'shop', url: 'http://127.0.0.1:9/callback', format: 'bitcoinmonitor', thresholds: [0, 6] } } as never);
  const recorder = new Recorder(service, statementCache(db), new HeaderStore(db), () => null);
  const addressRow = db.prepare(`SELECT id, address, ${scripthashOf('a')} AS scripthash, origin, state, invoice_id, electrum_status FROM addresses a WHERE ${addressMatch('a')}`);
  const paymentsAt = db.prepare(`SELECT ${PAYMENT_COLUMNS} FROM payments p WHERE p.address_id = ?`);

  const r = rng(17);
  const queue: Action[] = [];
  let seq = 0;
  const later = (at: number, run: Action['run'], address?: string): void => {
    queue.push({ at: Math.round(at), seq: seq++, run, ...(address ? { address } : {}) });
  };
  const history = new Map<string, EntryFacts[]>();
  const samples: YearsStore['samples'] = { userdata: [], labels: [], addresses: [], txids: [] };
  const sample = (list: string[], v: string): void => {
    if (v && list.length < 500 && r() < 0.05) list.push(v);
  };
  // Payments of the past are mined deep below the tip the store synced to: none is still climbing.
  const heightAt = (t: number): number => 102 + Math.floor(((t - start) / span) * (SANDBOX_HEIGHT - 120));
  const record = (address: string): Promise<void> => {
    const addr = addressRow.get(addressArgs(address)) as AddressRow;
    const existing = new Map((paymentsAt.all(addr.id) as PaymentRow[]).map((p) => [p.txid, p]));
    return recorder.recordHistory(addr, null, history.get(address)!, existing);
  };
  const pay = (at: number, address: string, sats: number): void => {
    const txid = crypto.randomBytes(32).toString('hex');
    sample(samples.txids, txid);
    const confirmAt = Math.round(at + (2 + r() * 20) * MIN);
    later(at, () => {
      const facts = history.get(address) ?? [];
      facts.push({ txid, height: 0, sats, rbf: false, verified: false, blockHash: null, blockTime: null, unconfirmedParent: false, belowAnchor: false });
      history.set(address, facts);
      return record(address);
    }, address);
    later(confirmAt, () => {
      const height = heightAt(confirmAt);
      const f = history.get(address)!.find((x) => x.txid === txid)!;
      Object.assign(f, { height, verified: true, blockHash: blocks[height]!.hash, blockTime: blocks[height]!.time });
      return record(address);
    }, address);
  };

  let pending: Promise<void>[] = [];
  const recording = new Set<string>();
  const flush = async (): Promise<void> => {
    const p = pending;
    pending = [];
    recording.clear();
    await Promise.all(p);
  };
  const runDue = async (until: number): Promise<void> => {
    queue.sort((a, b) => a.at - b.at || a.seq - b.seq);
    let k = 0;
    while (k < queue.length && queue[k]!.at <= until) k++;
    for (const a of queue.splice(0, k)) {
      // A group commit records at one time (the recorder reads the clock): only actions of one moment share one.
      if (pending.length && (a.at !== now || !a.address || recording.has(a.address))) await flush();
      now = Math.max(now, a.at);
      if (a.address) recording.add(a.address);
      const p = a.run();
      if (p) pending.push(p);
    }
    await flush();
    now = Math.max(now, until);
    // The app's timer: expiry, the monitoring window, the release grace.
    while (service.tick(now) > 0) {
      /* until nothing is due */
    }
  };

  const t0 = Date.now();
  for (let i = 0; i < n; i++) {
    const at = start + i * SPACING_MS;
    await runDue(at);
    const fate: Fate = pickFate(r());
    const { label, userdata } = labelFor(r, i);
    const sats = amountFor(r);
    const body = r() < 0.3 ? { amount_fiat: (sats / 1000).toFixed(2), label, userdata } : { amount_sats: sats, label, userdata };
    const inv = await h.createInvoice({ body, headers: {} } as never);
    sample(samples.userdata, userdata);
    sample(samples.labels, label);
    sample(samples.addresses, inv.address);
    const soon = at + (0.3 + r() * 6) * MIN;
    const due = inv.amount_sats;
    const exp = Date.parse(inv.expires_at);
    switch (fate) {
      case 'paid':
      case 'refunded':
        pay(soon, inv.address, due);
        if (fate === 'refunded') later(soon + 3 * 86_400_000, () => void h.addRefund({ params: { id: inv.id }, body: { sats: Math.ceil(due / 2), note: 'returned' } } as never));
        break;
      case 'partial_abandoned':
        pay(soon, inv.address, Math.ceil(due * 0.4));
        break;
      case 'split':
        pay(soon, inv.address, Math.ceil(due * 0.5));
        pay(soon + 2 * MIN, inv.address, due - Math.ceil(due * 0.5));
        break;
      case 'overpaid':
        pay(soon, inv.address, Math.ceil(due * 1.1));
        break;
      case 'late':
        pay(exp + (1 + r() * 30) * MIN, inv.address, due);
        break;
      case 'cancelled':
        later(soon, () => void h.cancelInvoice({ params: { id: inv.id } } as never));
        break;
      case 'marked':
        later(soon, () => void h.markInvoice({ params: { id: inv.id }, body: { status: 'confirmed', note: 'paid in cash' } } as never));
        break;
      case 'abandoned':
        break;
    }
    if (i % 5_000 === 4_999) log(`years: ${i + 1} invoices through the service after ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
  await runDue(end + 4 * 86_400_000);
  await deliverAll(service);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  await retention(dataDir, now);
  return { dataDir, sandboxDir, samples };
}
