/**
 * Grows a store the service made into a larger one: `copies` copies of its invoices with everything that hangs off
 * them (addresses, payments, refunds, sales, notifications, and what retention keeps for 90 days: events,
 * notification bodies, deliveries and attempts — src/node/retention.ts), each shifted by `shiftMs` and renamed so that every id, address, script hash, txid and order reference
 * stays unique (an address stays one, its checksum made again). The rows are the service's own but for those names and times (times inside JSON snapshots keep the
 * original's). Each copy is one INSERT … SELECT per table; columns this file does not name are copied as they are,
 * and the schema's triggers (search index, counts) run for every row as they would for a new one.
 */
import { openDatabase, type DB } from '../../src/node/store/sqlite.ts';
import { packBody, packEventData, unpackText } from '../../src/node/store/event-data.ts';
import { addressOf, invoiceIdOf } from '../../src/node/store/chain-sql.ts';
import { bech32Encode } from '../../src/core/wallet/encoding.ts';

const B32 = '0123456789abcdefghjkmnpqrstvwxyz';
const BECH = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const HEX = '0123456789abcdef';
const DAY = 86_400_000;

/**
 * `width` characters of `s` from `at`, read as a number in `alphabet`, plus `c`, written back: a different name for
 * each copy. Near the front, so copies do not share long prefixes (a txid's first digits find one payment).
 */
function bump(s: string, at: number, width: number, alphabet: string, c: number): string {
  let n = 0;
  for (const ch of s.slice(at, at + width)) n = n * alphabet.length + Math.max(0, alphabet.indexOf(ch));
  n = (n + c) % alphabet.length ** width;
  let out = '';
  for (let i = 0; i < width; i++, n = Math.floor(n / alphabet.length)) out = alphabet[n % alphabet.length]! + out;
  return s.slice(0, at) + out + s.slice(at + width);
}

/** Renames for copy `c` (1-based): same length and alphabet, never the original's name nor another copy's. */
const rename = {
  invoice: (id: string, c: number): string => bump(id, 0, 3, B32, c),
  // After the human-readable part, the separator and the witness version: bcrt1q|xxxx…, with its checksum made
  // again, so that the copy is an address (its key is computed from the text, migration 020).
  address: (a: string, c: number): string => {
    const sep = a.lastIndexOf('1');
    const words = [...bump(a, sep + 2, 4, BECH, c).slice(sep + 1, -6)].map((ch) => BECH.indexOf(ch));
    return bech32Encode(a.slice(0, sep), words, words[0] === 0 ? 'bech32' : 'bech32m');
  },
  hex64: (h: string, c: number): string => bump(h, 0, 8, HEX, c),
  delivery: (d: string, c: number): string => bump(d, 4, 6, HEX, c),
  publicId: (n: string, c: number): string => bump(n, 4, 8, HEX, c),
  userdata: (u: string, c: number, per: number): string => u.replace(/^order-(\d+)$/, (_, n: string) => `order-${Number(n) + c * per}`),
};

export interface ReplicateOptions {
  template: number;
  copies: number;
  shiftMs: number;
  /** Stop at this many invoices in all. */
  total: number;
}

/** How each column of a copied row is made (SQL over the original row); time columns shift; others stay. */
const COLUMNS: Record<string, Record<string, string>> = {
  addresses: { id: 'id + @addr', address: 'ren(1, address, @c)', script_key: 'satdesk_script_key(ren(1, address, @c))', scripthash: 'CASE WHEN scripthash IS NOT NULL THEN unhex(satdesk_scripthash(ren(1, address, @c))) END', derivation_index: 'derivation_index + @deriv', invoice_id: 'ren(0, invoice_id, @c)' },
  invoices: { seq: 'seq + @inv', id: 'ren(0, id, @c)', address_id: 'address_id + @addr', userdata: 'ren(5, userdata, @c)' },
  sales: { invoice_id: 'ren(0, invoice_id, @c)', receipt_key: "receipt_key || '-' || @c" },
  refunds: { id: 'id + @refund', invoice_id: 'ren(0, invoice_id, @c)' },
  payments: { id: 'id + @pay', txid: 'unhex(ren(3, lower(hex(txid)), @c))', address_id: 'address_id + @addr', invoice_seq: 'invoice_seq + @inv' },
  events: { id: 'id + @event', invoice_seq: 'invoice_seq + @inv', payment_id: 'payment_id + @pay', data: "swap(data, 'e', id, @c)" },
  notifications: {
    id: 'id + @note',
    public_id: 'ren(6, public_id, @c)',
    payment_id: 'payment_id + @pay',
    event_id: 'CASE WHEN created_at + @shift >= @cutoff THEN event_id + @event END',
    body: "CASE WHEN created_at + @shift >= @cutoff THEN swap(body, 'n', id, @c) END",
  },
  deliveries: { id: 'ren(2, id, @c)', notification_id: 'notification_id + @note', redelivery_of: 'ren(2, redelivery_of, @c)', order_key: 'order_key(order_key, @c, @pay)' },
  sent_bodies: { id: 'id + @body', sha256: 'ren(3, sha256, @c)', body: "swap(body, 'b', id, @c)" },
  attempts: { id: 'id + @attempt', delivery_id: 'ren(2, delivery_id, @c)', body_id: 'body_id + @body' },
};
const TIMES = new Set(['created_at', 'expires_at', 'paid_at', 'confirmed_at', 'updated_at', 'cancelled_at', 'manual_at', 'released_at', 'next_check_at', 'first_seen', 'time', 'time_own', 'at', 'ended_at', 'next_attempt_at']);

/** Which original rows a copy takes: those of the template's first `@lastSeq` invoices. */
const ROWS: Record<string, string> = {
  addresses: 'id IN (SELECT address_id FROM invoices WHERE seq <= @lastSeq)',
  invoices: 'seq <= @lastSeq',
  sales: 'invoice_id IN (SELECT id FROM invoices WHERE seq <= @lastSeq)',
  refunds: 'invoice_id IN (SELECT id FROM invoices WHERE seq <= @lastSeq)',
  payments: 'id <= @maxPay AND address_id IN (SELECT address_id FROM invoices WHERE seq <= @lastSeq)',
  events: 'id <= @maxEvent AND created_at + @shift >= @cutoff AND (invoice_seq <= @lastSeq OR payment_id IN (SELECT id FROM payments WHERE id <= @maxPay AND address_id IN (SELECT address_id FROM invoices WHERE seq <= @lastSeq)))',
  notifications: 'id <= @maxNote AND (payment_id <= @maxPay OR (event_id <= @maxEvent AND created_at + @shift >= @cutoff)) AND inv_of_note(id) IS NOT NULL',
  deliveries: 'notification_id <= @maxNote AND created_at + @shift >= @cutoff AND inv_of_note(notification_id) IS NOT NULL',
  sent_bodies: `id <= @maxBody AND body_of(id) IS NOT NULL AND id IN (SELECT body_id FROM attempts WHERE delivery_id IN
    (SELECT id FROM deliveries WHERE notification_id <= @maxNote AND created_at + @shift >= @cutoff))`,
  attempts: "delivery_id IN (SELECT id FROM deliveries WHERE notification_id <= @maxNote AND created_at + @shift >= @cutoff)",
};

/** Returns the store's "now": four days after its last invoice, as the template's was. */
export function replicate(file: string, o: ReplicateOptions, log: (l: string) => void): number {
  const t0 = Date.now();
  const db = openDatabase(file);
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -524288'); // 512 MB: the random-key indexes (ids, addresses, txids) stay in memory
  db.pragma('foreign_keys = OFF'); // rows arrive parents first anyway; the checks only cost time here
  const one = (sql: string): number => (db.prepare(sql).get() as { m: number | null }).m ?? 0;
  const p = {
    addr: one('SELECT MAX(id) AS m FROM addresses'),
    deriv: one('SELECT MAX(derivation_index) AS m FROM addresses') + 1,
    inv: one('SELECT MAX(seq) AS m FROM invoices'),
    refund: one('SELECT MAX(id) AS m FROM refunds'),
    pay: one('SELECT MAX(id) AS m FROM payments'),
    event: one('SELECT MAX(id) AS m FROM events'),
    note: one('SELECT MAX(id) AS m FROM notifications'),
    attempt: one('SELECT MAX(id) AS m FROM attempts'),
    body: one('SELECT MAX(id) AS m FROM sent_bodies'),
  };
  // Retention keeps events and the delivery log 90 days (the defaults): older copies get neither.
  const cutoff = one('SELECT MAX(created_at) AS m FROM invoices') + o.copies * o.shiftMs + 4 * DAY - 90 * DAY;
  registerFunctions(db, o.template);
  const statements = Object.keys(COLUMNS).map((table) => {
    const cols = (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as { name: string }[]).map((r) => r.name);
    const expr = cols.map((c) => COLUMNS[table]![c] ?? (TIMES.has(c) ? `${c} + @shift` : c));
    return db.prepare(`INSERT INTO ${table} (${cols.join(', ')}) SELECT ${expr.join(', ')} FROM ${table} WHERE ${ROWS[table]} ORDER BY rowid`);
  });
  for (let c = 1; c <= o.copies; c++) {
    const keep = Math.min(o.template, o.total - c * o.template);
    if (keep <= 0) break;
    const offsets = Object.fromEntries(Object.entries(p).map(([k, v]) => [k, c * v]));
    const args = { ...offsets, c, shift: c * o.shiftMs, lastSeq: keep, cutoff, maxPay: p.pay, maxEvent: p.event, maxNote: p.note, maxBody: p.body };
    db.transaction(() => {
      for (const st of statements) st.run(args);
    })();
    log(`years: copy ${c}/${o.copies} (${c * o.template + keep} invoices) after ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
  const top = one('SELECT MAX(derivation_index) AS m FROM addresses');
  db.prepare('UPDATE wallet_source SET next_index = ? WHERE id = 1').run(top + 1);
  // Planned already: the planner's events watermark moves past the copies, as it did past the originals.
  db.prepare("UPDATE outbox_state SET value = (SELECT MAX(id) FROM events) WHERE key = 'events_watermark'").run();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return cutoff + 90 * DAY;
}

/**
 * The SQL functions the copies use: `ren(kind, text, c)`, `order_key(key, c, payment offset)`, and for JSON, `swap(text, 'e'|'n',
 * id, c)`, which renames in an event's or a notification's text what belongs to its invoice (the invoice id, its
 * address, its order reference and its payments' txids), and `inv_of_note(id)`.
 */
function registerFunctions(db: DB, per: number): void {
  const tokens = new Map<string, { from: string; to: (c: number) => string }[]>();
  const invoiceOfAddress = new Map<number, string>();
  for (const i of db.prepare(`SELECT i.id, ${addressOf('i')} AS address, i.address_id, i.userdata FROM invoices i`).all() as { id: string; address: string; address_id: number; userdata: string }[]) {
    tokens.set(i.id, [
      { from: i.id, to: (c) => rename.invoice(i.id, c) },
      { from: i.address, to: (c) => rename.address(i.address, c) },
      ...(/^order-\d+$/.test(i.userdata) ? [{ from: `"${i.userdata}"`, to: (c: number) => `"${rename.userdata(i.userdata, c, per)}"` }] : []),
    ]);
    invoiceOfAddress.set(i.address_id, i.id);
  }
  const ofPayment = new Map<number, string>();
  for (const r of db.prepare(`SELECT p.id, lower(hex(p.txid)) AS txid, p.address_id, ${invoiceIdOf('p')} AS invoice_id FROM payments p`).all() as { id: number; txid: string; address_id: number; invoice_id: string | null }[]) {
    const inv = r.invoice_id ?? invoiceOfAddress.get(r.address_id);
    if (!inv) continue;
    ofPayment.set(r.id, inv);
    tokens.get(inv)?.push({ from: r.txid, to: (c) => rename.hex64(r.txid, c) });
  }
  const ofEvent = new Map<number, string>();
  for (const e of db.prepare(`SELECT id, ${invoiceIdOf('events')} AS invoice_id, payment_id FROM events`).all() as { id: number; invoice_id: string | null; payment_id: number | null }[]) {
    const inv = e.invoice_id ?? (e.payment_id !== null ? ofPayment.get(e.payment_id) : undefined);
    if (inv) ofEvent.set(e.id, inv);
  }
  const ofNote = new Map<number, string>();
  for (const n of db.prepare('SELECT id, payment_id, event_id FROM notifications').all() as { id: number; payment_id: number | null; event_id: number | null }[]) {
    const inv = n.payment_id !== null ? ofPayment.get(n.payment_id) : n.event_id !== null ? ofEvent.get(n.event_id) : undefined;
    if (inv) ofNote.set(n.id, inv);
  }
  // The request bodies the sender stored, by the invoice of the notification they were sent for.
  const ofBody = new Map<number, string>();
  for (const b of db.prepare(
    `SELECT DISTINCT a.body_id AS id, d.notification_id AS note FROM attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE a.body_id IS NOT NULL`,
  ).all() as { id: number; note: number }[]) {
    const inv = ofNote.get(b.note);
    if (inv) ofBody.set(b.id, inv);
  }
  const kinds = [rename.invoice, rename.address, rename.delivery, rename.hex64, null, null, rename.publicId];
  db.function('ren', { deterministic: true }, (kind: unknown, text: unknown, c: unknown) => {
    // A notification's public id and a body's sha256 are stored as bytes (migration 014): the first four, read as a
    // number, plus c.
    if (Buffer.isBuffer(text) && (kind === 6 || kind === 3)) {
      const out = Buffer.from(text);
      out.writeUInt32BE((out.readUInt32BE(0) + Number(c)) >>> 0, 0);
      return out;
    }
    if (typeof text !== 'string') return text as null;
    if (kind === 5) return rename.userdata(text, Number(c), per);
    return kinds[Number(kind)]!(text, Number(c));
  });
  db.function('order_key', { deterministic: true }, (key: unknown, c: unknown, payments: unknown) => {
    if (typeof key !== 'string') return key as null;
    if (key.startsWith('i:')) return `i:${rename.invoice(key.slice(2), Number(c))}`;
    if (key.startsWith('p:')) return `p:${Number(key.slice(2)) + Number(payments)}`;
    return key;
  });
  db.function('swap', { deterministic: true }, (stored: unknown, kind: unknown, id: unknown, c: unknown) => {
    // Event data and callback bodies are packed (src/node/store/event-data.ts): renamed as text, packed again alike.
    const packed = Buffer.isBuffer(stored);
    if (typeof stored !== 'string' && !packed) return stored as null;
    const inv = (kind === 'e' ? ofEvent : kind === 'b' ? ofBody : ofNote).get(Number(id));
    let out = packed ? unpackText(stored) : stored;
    for (const t of (inv && tokens.get(inv)) || []) out = out.split(t.from).join(t.to(Number(c)));
    return packed ? (kind === 'e' ? packEventData(out) : packBody(out)) : out;
  });
  db.function('inv_of_note', { deterministic: true }, (id: unknown) => ofNote.get(Number(id)) ?? null);
  db.function('body_of', { deterministic: true }, (id: unknown) => ofBody.get(Number(id)) ?? null);
}
