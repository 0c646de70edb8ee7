/**
 * Years of sales in milliseconds, written straight into the store of a data dir whose xpub wallet has not handed out
 * an address yet: `n` invoices on derived addresses 0…n−1 — 70 % confirmed with one payment mined deep below the tip,
 * 25 % abandoned carts (expired, nothing received, the address released) and 5 % expired after a partial payment
 * (the address still held) — each with three events. The hot paths must not care that they exist; a test compares
 * their work on a store with and without them.
 */
import type { DB } from '../../src/node/store/sqlite.ts';
import { madeUpAddress } from '../../src/sandbox/made-up.ts';
import { statusCodeOf } from '../../src/node/store/codes.ts';

export function addHistory(db: DB, n: number, opts: { height: number; at?: number }): void {
  const next = (db.prepare('SELECT next_index FROM wallet_source WHERE id = 1').get() as { next_index: number } | undefined)?.next_index;
  if (next !== 0) throw new Error('addHistory needs an xpub wallet that has not handed out an address yet');
  const at = opts.at ?? Date.now() - 400 * 86_400_000;
  db.transaction(() => {
    // Made-up addresses (src/sandbox/made-up.ts): the store computes each one's script hash from its text.
    const address = db.prepare(`INSERT INTO addresses (address, script_key, derivation_index, state)
      VALUES (@address, satdesk_script_key(@address), @i, 'used')`);
    for (let i = 0; i < n; i++) address.run({ address: madeUpAddress('history', i).address, i });
    db.exec(`
      INSERT INTO invoices (id, status_code, amount_sats, label, userdata, address_id, created_at, expires_at,
        confirmations_required, tolerance_bp, monitoring_ms, paid_sats, confirmed_sats, updated_at)
      SELECT printf('hist%012d', derivation_index),
        ${statusCodeOf("CASE WHEN derivation_index % 20 < 14 THEN 'confirmed' ELSE 'expired' END")},
        10000 + derivation_index, 'Espresso', 'old-' || derivation_index, id, ${at} + derivation_index * 1000,
        ${at} + derivation_index * 1000 + 900000, 1, 0, 86400000,
        CASE WHEN derivation_index % 20 < 14 THEN 10000 + derivation_index WHEN derivation_index % 20 = 19 THEN 5000 ELSE 0 END,
        CASE WHEN derivation_index % 20 < 14 THEN 10000 + derivation_index ELSE 0 END, ${at} + derivation_index * 1000
      FROM addresses WHERE derivation_index < ${n};`);
    db.exec(`UPDATE addresses SET state = 'in_use', invoice_id = printf('hist%012d', derivation_index)
             WHERE derivation_index < ${n} AND derivation_index % 20 = 19;`);
    db.exec(`
      INSERT INTO payments (txid, address_id, sats, invoice_seq, height, block_key, block_time, first_seen, rbf, verified, state_code, plan_done)
      -- Txids spread over their first bytes, as hashes are: payments are found by the first eight (migration 027).
      SELECT unhex(printf('%08x%056x', (seq * 2654435761) % 4294967296, 5000000000 + seq)), address_id, paid_sats, seq, 1 + seq % ${Math.max(1, opts.height - 20)}, NULL, NULL,
        created_at + 60000, 0, 1, 0, 1
      FROM invoices WHERE id LIKE 'hist%' AND paid_sats > 0;`);
    for (const type of ['invoice.created', 'invoice.paid', 'invoice.confirmed']) {
      db.prepare(`INSERT INTO events (type, invoice_seq, data, created_at) SELECT ?, seq, '{"invoice":{}}', created_at FROM invoices WHERE id LIKE 'hist%'`).run(type);
    }
    db.prepare('UPDATE wallet_source SET next_index = ? WHERE id = 1').run(n);
    db.prepare("UPDATE outbox_state SET value = (SELECT MAX(id) FROM events) WHERE key = 'events_watermark'").run();
  })();
}
