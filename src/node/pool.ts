/**
 * Wallet sources and the address pool (docs/spec/wallet.md): an xpub/descriptor hands every invoice a fresh derived address,
 * never twice; without one, invoices draw from the static pool the merchant filled by hand or through the API.
 */
import type { DB } from './store/sqlite.ts';
import { SatdeskError } from '../core/errors.ts';
import type { NetworkName } from '../core/network.ts';
import { validateAddress, scripthash } from '../core/wallet/address.ts';
import { firstAddresses, parseWalletSource, scriptHint, type ChosenScript, type DerivedAddress, type WalletSource } from '../core/wallet/source.ts';
import { containsPrivateMaterial, PRIVATE_KEY_MESSAGE } from '../core/wallet/keys.ts';
import { GAP_WARNING_AT, gapCrossed } from '../core/wallet/gap.ts';
import { statementCache } from './store/sqlite.ts';
import { addressArgs, addressInState, addressMatch, scriptKey } from './store/chain-sql.ts';
import { testCallbackAddress } from '../core/test-callback.ts';

/** A private key pasted where an address belongs is never echoed back (not in reports, not in errors). */
const REDACTED = '[private key removed]';
const isSecret = (s: string): boolean => containsPrivateMaterial(s) || /^([a-z]+ ){11,23}[a-z]+$/.test(s.trim());

export { GAP_WARNING_AT };

interface WalletRow {
  kind: 'xpub' | 'descriptor';
  network: NetworkName;
  script: string;
  source: string;
  next_index: number;
}

/** Derived addresses kept (the look-ahead is 20 ahead of the next invoice's). */
const DERIVED_KEPT = 256;


export class AddressPool {
  private cached: { row: WalletRow; source: WalletSource } | null = null;
  private readonly derived = new Map<number, DerivedAddress>();

  private readonly sql: ReturnType<typeof statementCache>;

  constructor(
    private readonly db: DB,
    private readonly network: NetworkName,
  ) {
    this.sql = statementCache(db);
  }

  walletRow(): WalletRow | undefined {
    return this.sql('SELECT kind, network, script, source, next_index FROM wallet_source WHERE id = 1').get() as
      | WalletRow
      | undefined;
  }

  private source(): WalletSource | null {
    const row = this.walletRow();
    if (!row) return null;
    if (!this.cached || this.cached.row.source !== row.source) {
      this.cached = { row, source: parseWalletSource(row.source, this.network) };
      this.derived.clear();
    }
    return this.cached.source;
  }

  /**
   * The derived address at `index`, derived once: the wallet scan's look-ahead derives each index before an invoice
   * takes it (an EC multiplication, ~0.5 ms — more than the rest of an invoice's write).
   */
  private addressAt(src: WalletSource, index: number): DerivedAddress {
    let a = this.derived.get(index);
    if (!a) {
      a = src.addressAt(index);
      this.derived.set(index, a);
      if (this.derived.size > DERIVED_KEPT) this.derived.delete(this.derived.keys().next().value as number);
    }
    return a;
  }

  /** PUT /wallet. Same source again is a no-op; a different one is refused once it has handed out addresses. */
  setWallet(input: string, now: number, script?: ChosenScript): WalletSource {
    const source = parseWalletSource(input, this.network, script);
    const staticCount = this.count("origin = 'static' AND state <> 'removed'");
    if (staticCount > 0) {
      throw new SatdeskError(
        'source_conflict',
        `The static pool holds ${staticCount} address(es); remove them before setting an xpub or descriptor.`,
      );
    }
    const current = this.walletRow();
    if (current) {
      if (current.source === source.canonical) return source;
      if (this.count("origin = 'derived'") > 0) {
        throw new SatdeskError(
          'source_conflict',
          'A wallet is already set and has handed out addresses; it cannot be replaced in this data dir.',
        );
      }
      this.db.prepare('DELETE FROM wallet_source WHERE id = 1').run();
    }
    this.db
      .prepare('INSERT INTO wallet_source (id, kind, network, script, source, next_index, created_at) VALUES (1, ?, ?, ?, ?, 0, ?)')
      .run(source.kind, source.network, source.script, source.canonical, now);
    this.cached = null;
    return source;
  }

  /** POST /wallet/preview: what PUT /wallet would derive, without saving, so the owner can compare first. */
  preview(input: string, script?: ChosenScript): { kind: 'xpub' | 'descriptor'; script: string; first_addresses: string[]; script_choice: boolean } {
    const source = parseWalletSource(input, this.network, script);
    return { kind: source.kind, script: source.script, first_addresses: firstAddresses(source, 10), script_choice: !scriptHint(input).fixed };
  }

  firstAddresses(n = 10): string[] {
    const src = this.source();
    if (!src) return [];
    return Array.from({ length: n }, (_, i) => src.addressAt(i).address);
  }

  /**
   * Consecutive derived addresses at the end that never received anything (the wallet's gap): kept by the store
   * (migration 008: used_through follows the payments), so this reads one row however long the shop has run.
   */
  gap(): number {
    const r = this.sql('SELECT MAX(0, next_index - 1 - used_through) AS gap FROM wallet_source WHERE id = 1').get() as { gap: number } | undefined;
    return r?.gap ?? 0;
  }

  /**
   * Inside a write, after an address was handed out: the gap threshold this crossed going up since the last look
   * (src/core/wallet/gap.ts), or null; remembers the gap for the next look.
   */
  gapCrossing(): { gap: number; threshold: number } | null {
    const r = this.sql('SELECT MAX(0, next_index - 1 - used_through) AS gap, gap_seen FROM wallet_source WHERE id = 1').get() as
      | { gap: number; gap_seen: number }
      | undefined;
    if (!r) return null;
    if (r.gap !== r.gap_seen) this.sql('UPDATE wallet_source SET gap_seen = ? WHERE id = 1').run(r.gap);
    const threshold = gapCrossed(r.gap_seen, r.gap);
    return threshold === null ? null : { gap: r.gap, threshold };
  }

  /** Addresses per state, kept by the store (migration 008): no count over every address the shop ever used. */
  counts(): { total: number; in_use: number; free: number } {
    const rows = this.sql('SELECT state, n FROM address_states').all() as { state: string; n: number }[];
    const n = (s: string): number => rows.find((r) => r.state === s)?.n ?? 0;
    return { total: rows.reduce((a, r) => a + (r.state === 'removed' ? 0 : r.n), 0), in_use: n('in_use'), free: n('free') };
  }

  gapWarning(gap = this.gap()): string | null {
    if (gap < GAP_WARNING_AT) return null;
    return (
      `${gap} addresses in a row have received nothing. A wallet restored from this xpub stops looking after its gap ` +
      `limit (20 by default): raise it (Electrum: wallet.change_gap_limit(${gap + 20}) in the console; Sparrow: ` +
      `Settings → Gap limit) so payments to the later addresses show up.`
    );
  }

  hasWallet(): boolean {
    return this.walletRow() !== undefined;
  }

  count(where: string): number {
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM addresses WHERE ${where}`).get() as { n: number }).n;
  }

  acceptingOrders(): boolean {
    return this.hasWallet() || this.count(`origin = 'static' AND ${addressInState('addresses', 'free')}`) > 0;
  }

  /**
   * Takes an address for a new invoice (inside the caller's transaction): in use, held by no invoice yet. The caller
   * inserts the invoice, then `hold`s the address for it — never the other way round: an address naming an invoice
   * that does not exist yet is a pending deferred foreign key (migration 011), and while one is pending SQLite checks
   * every invoice insert against every address row (no index on addresses.invoice_id): 90 ms at a million.
   */
  take(): { id: number; address: string } {
    const src = this.source();
    if (src) {
      const row = this.walletRow()!;
      // An index the wallet scan found used (src/node/watcher/wallet-scan.ts) already has a row: never hand it out.
      let index = row.next_index;
      const taken = this.sql('SELECT 1 FROM addresses WHERE derivation_index = ?');
      while (taken.get(index)) index++;
      const { address, scriptPubKey } = this.addressAt(src, index);
      const sh = scripthash(scriptPubKey);
      const r = this.sql(
          `INSERT INTO addresses (address, script_key, scripthash, derivation_index, state) VALUES (?, ?, unhex(?), ?, 'in_use')`,
        )
        .run(address, scriptKey(sh), sh, index);
      this.sql('UPDATE wallet_source SET next_index = ? WHERE id = 1').run(index + 1);
      return { id: Number(r.lastInsertRowid), address };
    }
    const free = this.sql(`SELECT id, address FROM addresses WHERE origin = 'static' AND ${addressInState('addresses', 'free')} ORDER BY id LIMIT 1`)
      .get() as { id: number; address: string } | undefined;
    if (!free) {
      throw new SatdeskError(
        'pool_exhausted',
        'Every pool address is held by an open invoice; add addresses or wait for one to be released.',
      );
    }
    this.sql("UPDATE addresses SET state = 'in_use', invoice_id = NULL WHERE id = ?").run(free.id);
    return free;
  }

  /** The address `take` gave is held by this invoice, whose row now exists. */
  hold(addressId: number, invoiceId: string): void {
    this.sql('UPDATE addresses SET invoice_id = ? WHERE id = ?').run(invoiceId, addressId);
  }

  /** The derived address at `index` (the wallet scan checks addresses before they are handed out). */
  derivedAt(index: number): { address: string; scripthash: string } | null {
    const src = this.source();
    if (!src) return null;
    const { address, scriptPubKey } = this.addressAt(src, index);
    return { address, scripthash: scripthash(scriptPubKey) };
  }

  /**
   * Inside the caller's transaction: the derived address at `index` has history on the chain, so it is recorded as
   * `used` (never handed out) and `next_index` moves past it. Returns the row's id, or null if it already had one.
   */
  markUsed(index: number): number | null {
    const a = this.derivedAt(index);
    if (!a) return null;
    const r = this.db
      .prepare(
        `INSERT INTO addresses (address, script_key, derivation_index, state) VALUES (?, ?, ?, 'used') ON CONFLICT DO NOTHING`,
      )
      .run(a.address, scriptKey(a.scripthash), index);
    // A used address counts as used for the gap too (docs/spec/wallet.md#the-gap), though no payment row records it.
    this.db.prepare('UPDATE wallet_source SET next_index = MAX(next_index, ?), used_through = MAX(used_through, ?) WHERE id = 1').run(index + 1, index);
    return r.changes ? Number(r.lastInsertRowid) : null;
  }

  /** POST /addresses: validates each entry; reports added / duplicate / invalid per address. */
  addStatic(inputs: unknown[]): { address: string; result: 'added' | 'duplicate' | 'invalid'; reason?: string }[] {
    if (this.hasWallet()) {
      throw new SatdeskError(
        'source_conflict',
        'An xpub or descriptor is set: invoices take derived addresses, so static addresses cannot be added.',
      );
    }
    const seen = new Set<string>();
    const find = this.db.prepare(`SELECT id, state, origin FROM addresses a WHERE ${addressMatch('a')}`);
    const insert = this.db.prepare(
      `INSERT INTO addresses (address, script_key, scripthash, state) VALUES (?, ?, unhex(?), 'free')`,
    );
    // A free address keeps its script hash; a removed one had it dropped (docs/decisions/0099-address-key.md).
    const revive = this.db.prepare("UPDATE addresses SET state = 'free', scripthash = unhex(?) WHERE id = ?");
    return inputs.map((input) => {
      if (typeof input !== 'string') {
        return { address: String(JSON.stringify(input)).slice(0, 100), result: 'invalid' as const, reason: 'not a string' };
      }
      if (isSecret(input)) return { address: REDACTED, result: 'invalid' as const, reason: PRIVATE_KEY_MESSAGE };
      let parsed;
      try {
        parsed = validateAddress(input, this.network);
      } catch (e) {
        return { address: input.slice(0, 200), result: 'invalid' as const, reason: (e as Error).message };
      }
      const { address } = parsed;
      if (address === testCallbackAddress(this.network)) {
        return { address, result: 'invalid' as const, reason: 'the test callbacks’ address: provably unspendable, a payment to it is burned' };
      }
      if (seen.has(address)) return { address, result: 'duplicate' as const };
      seen.add(address);
      const args = addressArgs(parsed);
      const sh = scripthash(parsed.scriptPubKey);
      const existing = find.get(args) as { id: number; state: string; origin: string } | undefined;
      if (existing) {
        if (existing.state === 'removed' && existing.origin === 'static') {
          revive.run(sh, existing.id);
          return { address, result: 'added' as const };
        }
        return { address, result: 'duplicate' as const };
      }
      insert.run(address, args.address_key, sh);
      return { address, result: 'added' as const };
    });
  }

  remove(input: string): { address: string; state: 'removed' } {
    // A malformed or wrong-network address is a bad request (invalid_address / wrong_network), not "not found".
    const valid = validateAddress(input, this.network);
    const address = valid.address;
    const row = this.db.prepare(`SELECT id, state, origin FROM addresses a WHERE ${addressMatch('a')}`).get(addressArgs(valid)) as
      | { id: number; state: string; origin: string }
      | undefined;
    if (!row || row.state === 'removed') {
      throw new SatdeskError('not_found', isSecret(address) ? 'No such pool address.' : `No pool address ${address.slice(0, 100)}.`);
    }
    if (row.origin !== 'static') {
      throw new SatdeskError('invalid_request', 'Derived addresses belong to the wallet and cannot be removed.');
    }
    if (row.state === 'in_use') {
      throw new SatdeskError('address_in_use', `${address} is held by an open invoice and cannot be removed.`);
    }
    this.db.prepare("UPDATE addresses SET state = 'removed' WHERE id = ?").run(row.id);
    return { address, state: 'removed' };
  }
}
