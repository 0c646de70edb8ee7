/**
 * The wallet room: the wallet source and the address pool (docs/spec/wallet.md), and the payments no invoice may
 * count (docs/spec/invoices.md#attribution).
 */
import type { AddressOrigin, AddressState } from '../../core/vocabulary.ts';
import type { MethodOutput } from '../../shared/contract.ts';
import { paymentView, type PaymentRow } from '../invoices.ts';
import type { Handlers, ServiceCore } from './context.ts';
import { decodeCursor, page } from './paging.ts';
import { addressInState, PAYMENT_COLUMNS } from '../store/chain-sql.ts';
import { limit } from '../store/sqlite.ts';

interface AddressListRow {
  id: number;
  address: string;
  state: AddressState;
  invoice_id: string | null;
  origin: AddressOrigin;
  derivation_index: number | null;
}

export class WalletRoom {
  constructor(private readonly s: ServiceCore) {}

  view(): MethodOutput<'getWallet'> {
    const pool = this.s.pool;
    const row = pool.walletRow();
    const gap = row ? pool.gap() : 0;
    return {
      kind: row ? row.kind : 'static',
      network: this.s.network,
      script: row ? row.script : null,
      source: row ? row.source : null,
      first_addresses: pool.firstAddresses(),
      next_index: row ? row.next_index : null,
      gap,
      gap_warning: row ? pool.gapWarning(gap) : null,
    };
  }

  readonly handlers = {
    getWallet: () => this.view(),
    putWallet: ({ body }) => {
      this.s.uow.write(() => this.s.pool.setWallet(body.xpub, this.s.clock.now(), body.script));
      return this.view();
    },
    listAddresses: ({ query }) => {
      const args = [decodeCursor(query.cursor)];
      const rows = this.s.db
        .prepare(
          `SELECT id, address, state, invoice_id, origin, derivation_index FROM addresses
           WHERE id < ? ${query.state ? `AND ${addressInState('addresses', query.state)}` : ''} ORDER BY id DESC ${limit(query.limit + 1)}`,
        )
        .all(...args) as AddressListRow[];
      const { items, next_cursor } = page(rows, query.limit, (r) => r.id);
      return {
        addresses: items.map((r) => ({ address: r.address, state: r.state, invoice_id: r.invoice_id, origin: r.origin, index: r.derivation_index })),
        next_cursor,
      };
    },
    addAddresses: ({ body }) => ({ results: this.s.uow.write(() => this.s.pool.addStatic(body.addresses)) }),
    deleteAddress: ({ params }) => this.s.uow.write(() => this.s.pool.remove(params.address)),
    unattributedPayments: ({ query }) => {
      const rows = this.s.db
        .prepare(`SELECT ${PAYMENT_COLUMNS} FROM payments p WHERE p.invoice_seq IS NULL AND p.id < ? ORDER BY p.id DESC ${limit(query.limit + 1)}`)
        .all(decodeCursor(query.cursor)) as PaymentRow[];
      const { items, next_cursor } = page(rows, query.limit, (p) => p.id);
      const tip = this.s.tipHeight();
      return {
        payments: items.map((p) => ({ ...paymentView(p, null, { tipHeight: tip, rates: this.s.rates() }), address: p.address })),
        next_cursor,
      };
    },
  } satisfies Partial<Handlers>;
}
