/**
 * The SQL boundary of the chain tables (docs/decisions/0087-lean-chain-tables.md, 0088-txid-bytes.md): script
 * hashes, block hashes and payments' txids are stored as their 32 bytes and are lowercase hex strings everywhere else; invoices and payments name their
 * address by `address_id` only. Queries select and bind through these fragments, so the rows the code reads keep
 * their shape (InvoiceRow, PaymentRow in src/node/invoices.ts). An address's row is found by the script hash the
 * address encodes, through its unique index, and the text compared on that row (0094-address-by-script-hash.md).
 */
import { addressScripthash, scripthash, type ValidatedAddress } from '../../core/wallet/address.ts';

/** A 32-byte hash column read as lowercase hex (NULL stays NULL: `hex(NULL)` is ''). */
export function hexOf(column: string): string {
  return `CASE WHEN ${column} IS NULL THEN NULL ELSE lower(hex(${column})) END`;
}

/** A hash column that is never NULL (a script hash, a txid) read as lowercase hex. */
export function shOf(column: string): string {
  return `lower(hex(${column}))`;
}

/** The address of the row aliased `alias` (an invoice or a payment), by its rowid in addresses. */
export function addressOf(alias: string): string {
  return `(SELECT ad.address FROM addresses ad WHERE ad.id = ${alias}.address_id)`;
}

/** An invoice row (InvoiceRow) from `invoices i`. */
export const INVOICE_COLUMNS = `i.*, ${addressOf('i')} AS address`;

/** A payment row (PaymentRow) from `payments p`, its columns in the order they had as a table. */
export const PAYMENT_COLUMNS = [
  'p.id', `${shOf('p.txid')} AS txid`, 'p.address_id', `${addressOf('p')} AS address`, 'p.sats', 'p.invoice_id', 'p.height',
  `${hexOf('p.block_hash')} AS block_hash`, 'p.block_time', 'p.first_seen', 'p.rbf', 'p.verified', 'p.state', 'p.plan_done',
  'p.time', 'p.unconfirmed_parent', 'p.mempool_servers', 'p.below_anchor',
].join(', ');

/** Where `alias` (an addresses row) is the address bound as `@name` (its script hash is bound by `addressArgs`). */
export function addressMatch(alias: string, name = 'address'): string {
  return `${alias}.scripthash = unhex(@${name}_sh) AND ${alias}.address = @${name}`;
}

/**
 * The bindings of `addressMatch`: text that is no address matches no row. An address already validated brings its
 * script, so it is not decoded a second time.
 */
export function addressArgs(address: string | ValidatedAddress, name = 'address'): Record<string, string> {
  if (typeof address !== 'string') return { [name]: address.address, [`${name}_sh`]: scripthash(address.scriptPubKey) };
  return { [name]: address, [`${name}_sh`]: addressScripthash(address) ?? '' };
}
