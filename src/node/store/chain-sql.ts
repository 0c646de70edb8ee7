/**
 * The SQL boundary of the chain tables (docs/decisions/0087-lean-chain-tables.md, 0088-txid-bytes.md): payments'
 * txids and free or held addresses' script hashes are stored as their 32 bytes and are lowercase hex strings
 * everywhere else; invoices and payments name their address by `address_id` only, a payment its block by a key
 * (0100-block-key.md) and its invoice by the invoice's row number (0102-payment-invoice-seq.md). Queries select and
 * bind through these fragments, so the rows the code reads keep their shape (InvoiceRow, PaymentRow in
 * src/node/invoices.ts). An address's row is found by a key of the script hash the address encodes, through its
 * index, and the text (or the whole script hash) compared on the rows it names (0094-address-by-script-hash.md,
 * 0099-address-key.md).
 */
import type { DB } from './sqlite.ts';
import { ADDRESS_STATES, type AddressState } from '../../core/vocabulary.ts';
import { addressScript, addressScripthash, scripthash, type ValidatedAddress } from '../../core/wallet/address.ts';

/** A hash column that is never NULL (a txid) read as lowercase hex. */
export function shOf(column: string): string {
  return `lower(hex(${column}))`;
}

/** The address of the row aliased `alias` (an invoice or a payment), by its rowid in addresses. */
export function addressOf(alias: string): string {
  return `(SELECT ad.address FROM addresses ad WHERE ad.id = ${alias}.address_id)`;
}

/** The public id of the invoice the row aliased `alias` (a payment) names by its row number (migration 023). */
export function invoiceIdOf(alias: string): string {
  return `(SELECT iv.id FROM invoices iv WHERE iv.seq = ${alias}.invoice_seq)`;
}

/** The row number of the invoice whose public id is the SQL expression `id` (a parameter), for a payment's invoice_seq. */
export function invoiceSeqOf(id: string): string {
  return `(SELECT iv.seq FROM invoices iv WHERE iv.id = ${id})`;
}

/**
 * Payments of `table` (a name or an alias) whose txid is the 64 hex digits in the SQL parameter `param`: found through
 * the index of the txid's first eight bytes (payments_txid, migration 027), then compared whole.
 */
export function txidIs(table: string, param: string): string {
  return `substr(${table}.txid, 1, 8) = substr(unhex(${param}), 1, 8) AND ${table}.txid = unhex(${param})`;
}

/** Payments of `table` whose txid lies between the 64-hex-digit parameters `low` and `high` (a prefix's range), by the same index. */
export function txidBetween(table: string, low: string, high: string): string {
  return `substr(${table}.txid, 1, 8) BETWEEN substr(unhex(${low}), 1, 8) AND substr(unhex(${high}), 1, 8)
    AND ${table}.txid BETWEEN unhex(${low}) AND unhex(${high})`;
}

/** An invoice row (InvoiceRow) from `invoices i`. */
export const INVOICE_COLUMNS = `i.*, ${addressOf('i')} AS address`;

/** A payment row (PaymentRow) from `payments p`, its columns in the order they had as a table. */
export const PAYMENT_COLUMNS = [
  'p.id', `${shOf('p.txid')} AS txid`, 'p.address_id', `${addressOf('p')} AS address`, 'p.sats', `${invoiceIdOf('p')} AS invoice_id`, 'p.height',
  'p.block_key', 'p.block_time', 'p.first_seen', 'p.rbf', 'p.verified', 'p.state', 'p.plan_done',
  'p.time', 'p.unconfirmed_parent', 'p.mempool_servers', 'p.below_anchor',
].join(', ');

/**
 * An invoice `i` whose address is still watched: its watch window (expiry plus monitoring) not over at `@now`, and it
 * can still change. Written as the partial index invoices_watch_window is (migration 022), so SQLite uses it.
 */
export const IN_WINDOW = `i.expires_at + i.monitoring_ms > @now AND i.status NOT IN ('confirmed', 'cancelled')`;

/**
 * The statuses nearly every invoice ends in. invoices_status leaves them out (migration 024): a list of them walks the
 * row numbers, where about every other row qualifies.
 */
const DENSE_STATUSES: readonly string[] = ['confirmed', 'expired'];
/** The index's condition, in the words of migration 024. */
const NOT_DENSE = `NOT IN (${DENSE_STATUSES.map((s) => `'${s}'`).join(', ')})`;

/**
 * `column` = `param` for an invoice status: for the statuses invoices_status holds, with its condition spelled out as
 * the index has it, since SQLite does not infer it from the equality.
 */
export function statusIs(column: string, param: string, status: string): string {
  return DENSE_STATUSES.includes(status) ? `${column} = ${param}` : `${column} = ${param} AND ${column} ${NOT_DENSE}`;
}

/**
 * The key `addresses.script_key` stores: the first four bytes of the script hash (as the Electrum protocol orders
 * them) read as a signed 32-bit integer. Several scripts may share a key, so every lookup compares the text or the
 * whole script hash on the rows the key names (docs/decisions/0099-address-key.md).
 */
export function scriptKey(sh: string): number {
  return Number.parseInt(sh.slice(0, 8), 16) | 0;
}

/**
 * The key a payment stores for its block (migration 021, docs/decisions/0100-block-key.md): the last four bytes of the
 * block hash as displayed, read as a signed 32-bit integer (its first bytes are the proof of work's zeros).
 */
export function blockKey(hash: string): number {
  return Number.parseInt(hash.slice(-8), 16) | 0;
}

/** Where `alias` (an addresses row) is the address bound as `@name` (its key is bound by `addressArgs`). */
export function addressMatch(alias: string, name = 'address'): string {
  return `${alias}.script_key = @${name}_key AND ${alias}.address = @${name}`;
}

/**
 * The bindings of `addressMatch`: text that is no address binds no key and matches no row. An address already
 * validated brings its script, so it is not decoded a second time.
 */
export function addressArgs(address: string | ValidatedAddress, name = 'address'): Record<string, string | number | null> {
  const sh = typeof address === 'string' ? addressScripthash(address) : scripthash(address.scriptPubKey);
  return { [name]: typeof address === 'string' ? address : address.address, [`${name}_key`]: sh === null ? null : scriptKey(sh) };
}

/**
 * The script hash of the address row aliased `alias`, lowercase hex: the stored one while the address is free or in
 * use, else computed from its text (NULL for text that is no address; docs/decisions/0099-address-key.md).
 */
export function scripthashOf(alias: string): string {
  return `CASE WHEN ${alias}.scripthash IS NULL THEN satdesk_scripthash(${alias}.address) ELSE ${shOf(`${alias}.scripthash`)} END`;
}

/** Where `alias` (an addresses row) encodes the script hash bound as `@name` (hex; its key bound by `scripthashArgs`). */
export function scripthashMatch(alias: string, name = 'sh'): string {
  return `${alias}.script_key = @${name}_key AND ${scripthashOf(alias)} = @${name}`;
}

/**
 * Where `alias` (an addresses row) is in `state`, on the index that holds that state (migration 022,
 * docs/decisions/0101-live-indexes.md): free and held addresses through addresses_watched, whose condition SQLite
 * must see written out to use it; removed ones through addresses_removed. Used addresses, nearly every row, have no
 * index of their own: whoever asks for them walks ids anyway.
 */
export function addressInState(alias: string, state: AddressState): string {
  if (!ADDRESS_STATES.includes(state)) throw new Error(`no address state ${String(state)}`);
  const term = `${alias}.state = '${state}'`;
  return state === 'free' || state === 'in_use' ? `${alias}.state IN ('in_use', 'free') AND ${term}` : term;
}

export function scripthashArgs(sh: string, name = 'sh'): Record<string, string | number> {
  return { [name]: sh, [`${name}_key`]: scriptKey(sh) };
}

/**
 * The functions the store's statements call (migration 020): `satdesk_scripthash(address)`, the script hash as
 * lowercase hex, and `satdesk_script_key(address)`, the key a row stores; both NULL for text that is no address.
 * Registered on every connection that opens the store (src/node/store/sqlite.ts). The schema itself names neither,
 * so any SQLite tool can check, copy or vacuum the file.
 */
export function registerAddressFunctions(db: DB): void {
  let last = '';
  let lastSh: string | null = null;
  const shOfText = (text: unknown): string | null => {
    if (typeof text !== 'string') return null;
    if (text !== last) {
      const script = addressScript(text);
      lastSh = script === null ? null : scripthash(script);
      last = text;
    }
    return lastSh;
  };
  db.function('satdesk_scripthash', { deterministic: true }, shOfText);
  db.function('satdesk_script_key', { deterministic: true }, (text: unknown) => {
    const sh = shOfText(text);
    return sh === null ? null : scriptKey(sh);
  });
}
