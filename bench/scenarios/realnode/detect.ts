/**
 * broadcast → invoice.paid on a real server, beside its floor: a bare Electrum client (a plain socket that only
 * subscribes the same script hashes and timestamps each status notification) watches the same payments at the same
 * time. Per payment: broadcast → the bare client's notification (the server's floor) and broadcast → Satdesk's
 * invoice.paid; Satdesk minus the floor is what Satdesk adds. On ElectrumX (which holds a small write up to a second
 * after its previous one, src/node/electrum/padding.ts) the bare client answers each notification with a request whose
 * large answer flushes whatever the server still holds, so the floor is when the server had the notification ready.
 */
import net from 'node:net';
import fs from 'node:fs';
import { address as btcAddress, networks } from 'bitcoinjs-lib';
import { scripthash } from '../../../src/core/wallet/address.ts';
import { startApp } from '../../../src/node/app.ts';
import type { ElectrumClient } from '../../../src/node/electrum/index.ts';
import { randomAddresses, type Stack } from '../../../test/interop/stack.ts';

export interface Detection {
  /** broadcast → invoice.paid in Satdesk, ms */
  satdesk: number;
  /** broadcast → the bare client's status notification, ms */
  floor: number;
  /** broadcast → the status notification on Satdesk's own connection, ms */
  received: number;
}

/** A bare client: server.version, then one subscribe per script hash; the first notification time of each. */
async function bareClient(url: string, hashes: string[]): Promise<{ notified: (sh: string) => Promise<bigint>; close: () => void }> {
  const u = new URL(url);
  const sock = net.connect(Number(u.port), u.hostname);
  await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
  sock.setNoDelay(true);
  const seen = new Map<string, bigint>();
  const waiters = new Map<string, (t: bigint) => void>();
  let buf = '';
  let pads = false;
  let answered = 0;
  let allAnswered: () => void = () => {};
  const ready = new Promise<void>((r) => (allAnswered = r));
  sock.on('data', (chunk) => {
    const t = process.hrtime.bigint();
    buf += chunk.toString('utf8');
    let i: number;
    let notified = false;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i).trim();
      buf = buf.slice(i + 1);
      if (!line) continue;
      const msg = JSON.parse(line) as { id?: number; method?: string; params?: unknown[] };
      if (msg.method === 'blockchain.scripthash.subscribe') {
        const sh = msg.params![0] as string;
        notified = true;
        if (!seen.has(sh)) {
          seen.set(sh, t);
          waiters.get(sh)?.(t);
        }
      } else if (msg.id === 1) pads = /^electrumx/i.test(String((msg as { result?: unknown[] }).result?.[0] ?? ''));
      else if (typeof msg.id === 'number' && msg.id > 1 && msg.id <= hashes.length + 1 && ++answered === hashes.length) allAnswered();
    }
    if (notified && pads) sock.write(JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'blockchain.block.headers', params: [0, 8] }) + '\n');
  });
  sock.write(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'server.version', params: ['bench-floor', ['1.4', '1.6']] }) + '\n');
  hashes.forEach((sh, k) => sock.write(JSON.stringify({ jsonrpc: '2.0', id: k + 2, method: 'blockchain.scripthash.subscribe', params: [sh] }) + '\n'));
  await ready;
  const notified = (sh: string): Promise<bigint> => {
    const t = seen.get(sh);
    return t !== undefined ? Promise.resolve(t) : new Promise((r) => waiters.set(sh, r));
  };
  return { notified, close: () => sock.destroy() };
}

const shOf = (a: string): string => scripthash(btcAddress.toOutputScript(a, networks.regtest));

/**
 * `payments` invoices paid `gapMs` apart from the node's wallet; the per-payment latencies. First a block (the miner
 * wallet's chain of unconfirmed change stays under the node's 25-ancestor limit), and the payments start once Satdesk
 * has it from the server: ElectrumX does not refresh its mempool until it has processed a new block, so payments
 * made in the seconds after one are announced up to a poll late (docs/electrum.md) — a real effect, but one that
 * would measure where the bench mined rather than the server's polling.
 */
export async function detection(stack: Stack, dir: string, payments: number, gapMs: number): Promise<Detection[]> {
  fs.rmSync(dir, { recursive: true, force: true });
  const addresses = randomAddresses(payments);
  const bare = await bareClient(stack.url, addresses.map(shOf));
  const app = await startApp({ dataDir: dir, network: 'regtest', port: 0, http: false, electrum: [stack.url], log: () => {} });
  try {
    await app.service.handlers.addAddresses({ body: { addresses } } as never);
    await app.watcher!.waitSynced(60_000);
    // When Satdesk's own connection got each notification (the watcher's client is private: read for the bench only).
    const got = new Map<string, bigint>();
    (app.watcher as unknown as { client: ElectrumClient }).client.onScripthash((sh) => {
      if (!got.has(sh)) got.set(sh, process.hrtime.bigint());
    });
    const waiting = new Map<string, (t: bigint) => void>();
    const off = app.service.bus.subscribe((e) => {
      if (e.type === 'invoice.paid' && e.invoice_id) waiting.get(e.invoice_id)?.(process.hrtime.bigint());
    });
    await stack.mine(1);
    const height = await stack.height();
    while (app.service.tipHeight() < height) await new Promise((r) => setTimeout(r, 50));
    const out: Promise<Detection>[] = [];
    for (let i = 0; i < payments; i++) {
      const inv = app.service.invoices.create({ body: { amount_sats: 10_000 + i }, headers: {} } as never) as { id: string; address: string };
      const seen = new Promise<bigint>((r) => waiting.set(inv.id, r));
      await stack.wallet('sendtoaddress', inv.address, ((10_000 + i) / 1e8).toFixed(8));
      const sent = process.hrtime.bigint();
      const sh = shOf(inv.address);
      const floor = bare.notified(sh);
      const ms = (t: bigint): number => Number(t - sent) / 1e6;
      out.push(Promise.all([seen, floor]).then(([t, f]) => ({ satdesk: ms(t), floor: ms(f), received: ms(got.get(sh) ?? t) })));
      await new Promise((r) => setTimeout(r, gapMs));
    }
    const all = await Promise.all(out);
    off();
    return all;
  } finally {
    bare.close();
    await app.close();
  }
}
