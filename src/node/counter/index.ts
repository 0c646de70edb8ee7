/**
 * The counter (docs/counter.md): tills and what their customer displays show, role tokens and pairing, receipts,
 * the cash-desk note, and what a cashier may see. Its handlers join the service's table; the customer display
 * long-polls `displayState`, which answers at once when its till changed since the version it holds, else when it
 * next changes (a new sale, a payment, the chain going away) or after 20 s.
 */
import crypto from 'node:crypto';
import { SatdeskError } from '../../core/errors.ts';
import { chainWarning, currencyDecimals, minInvoiceSats } from '../../core/counter.ts';
import type { Invoice, MethodInput, MethodOutput } from '../../shared/contract.ts';
import type { DisplaySale, DisplayState, Principal, Till } from '../../shared/contract-counter.ts';
import type { WalletScript } from '../../core/wallet/source.ts';
import type { CounterMethod, Handlers, Satdesk } from '../service.ts';
import { prepared } from '../store/sqlite.ts';
import { receiptKey, receiptPath, saleRow, setDeskNote } from './sales.ts';
import { createTokenRow, listTokenRows, newPairing, Pairing, revokeTokenRow, tokenView } from './tokens.ts';

export const LONG_POLL_MS = 20_000;

interface TillRow {
  id: string;
  name: string;
  current_invoice_id: string | null;
  prompt: string | null;
}

const tillView = (r: TillRow): Till => ({ id: r.id, name: r.name, current_invoice_id: r.current_invoice_id });

function startOfLocalDay(now: number): number {
  const d = new Date(now);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

export class Counter {
  private readonly boot = crypto.randomBytes(4).toString('hex');
  private seq = 0;
  private readonly waiters = new Set<() => void>();
  private readonly pairing: Pairing;
  /** The LAN certificate's fingerprint when `serve --lan` speaks HTTPS: pairing links carry it. */
  tlsFingerprint: string | null = null;

  constructor(private readonly svc: Satdesk) {
    this.pairing = new Pairing(svc.db);
    // A display wakes for anything that changes what it shows: its sale's events, chain status, a new tip height.
    svc.bus.subscribe((e) => {
      if (e.type.startsWith('chain.') || (e.invoice_id !== null && this.isCurrent(e.invoice_id))) this.bump();
    });
  }

  private isCurrent(invoiceId: string): boolean {
    return prepared(this.svc.db, 'SELECT 1 FROM tills WHERE current_invoice_id = ?').get(invoiceId) !== undefined;
  }

  /** Something a display shows changed: answer every waiting long poll. */
  bump(): void {
    this.seq++;
    const ws = [...this.waiters];
    this.waiters.clear();
    for (const w of ws) w();
  }

  get version(): string {
    return `${this.boot}.${this.seq}`;
  }

  mustTill(id: string): TillRow {
    const r = this.svc.db.prepare('SELECT * FROM tills WHERE id = ?').get(id) as TillRow | undefined;
    if (!r) throw new SatdeskError('not_found', 'No such till.');
    return r;
  }

  /** A cashier sees today's invoices (since local midnight on this machine); the owner sees all. */
  assertVisible(auth: Principal | undefined, inv: { created_at: string }): void {
    if (!auth || auth.role === 'owner') return;
    if (auth.role === 'cashier' && Date.parse(inv.created_at) >= startOfLocalDay(this.svc.clock.now())) return;
    throw new SatdeskError('forbidden', 'A cashier sees only today\u2019s sales.');
  }

  private tillFor(auth: Principal | undefined, requested: string | undefined): TillRow {
    if (auth && auth.tillId !== null) {
      if (requested !== undefined && requested !== auth.tillId) throw new SatdeskError('forbidden', 'This device shows its own till only.');
      return this.mustTill(auth.tillId);
    }
    if (auth?.role === 'display') throw new SatdeskError('forbidden', 'This display is not bound to a till.');
    if (requested !== undefined) return this.mustTill(requested);
    const first = this.svc.db.prepare('SELECT * FROM tills ORDER BY created_at, id LIMIT 1').get() as TillRow | undefined;
    if (!first) throw new SatdeskError('not_found', 'No till is set up: add one in Settings → Counter.');
    return first;
  }

  private walletScript(): WalletScript | null {
    return (this.svc.pool.walletRow()?.script as WalletScript | undefined) ?? null;
  }

  private displaySale(inv: Invoice): DisplaySale {
    const key = saleRow(this.svc.db, inv.id)?.receipt_key ?? null;
    return {
      id: inv.id,
      status: inv.status,
      amount_sats: inv.amount_sats,
      amount_btc: inv.amount_btc,
      fiat: inv.fiat,
      tip: inv.tip,
      label: inv.label,
      items: inv.items,
      address: inv.address,
      bip21: inv.bip21,
      expires_at: inv.expires_at,
      paid_sats: inv.paid_sats,
      missing_sats: inv.missing_sats,
      confirmations_required: inv.confirmations_required,
      receipt_path: key ? receiptPath(key) : null,
    };
  }

  displayNow(till: TillRow): DisplayState {
    const s = this.svc.settings;
    const inv = till.current_invoice_id ? this.invoice(till.current_invoice_id) : null;
    const prompt = till.prompt ? (JSON.parse(till.prompt) as NonNullable<DisplayState['prompt']>) : null;
    const chain = this.svc.sysinfo().chain;
    const warning = chainWarning(chain);
    return {
      version: this.version,
      till: { id: till.id, name: till.name },
      shop_name: s.counter.shop_name,
      stage: inv ? 'sale' : prompt ? 'tip' : 'idle',
      prompt: prompt ? { ...prompt, presets_pct: s.counter.tips.presets_pct } : null,
      sale: inv ? this.displaySale(inv) : null,
      chain: { ok: warning === null, message: warning },
      refund_policy: s.refund_policy,
      paid_screen_s: s.counter.paid_screen_s,
    };
  }

  private invoice(id: string): Invoice {
    return this.svc.handlers.getInvoice({ params: { id }, query: {}, body: undefined, headers: {} }) as Invoice;
  }

  async displayState(input: MethodInput<'displayState'>): Promise<DisplayState> {
    const till = this.tillFor(input.auth, input.query.till);
    if (input.query.after === this.version) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, LONG_POLL_MS);
        this.waiters.add(done);
      });
    }
    return this.displayNow(this.mustTill(till.id));
  }

  /** The counter's methods, plus cashier limits on the invoice methods the service already has. */
  handlers(base: Handlers): Pick<Handlers, CounterMethod | 'getInvoice' | 'cancelInvoice' | 'listInvoices'> {
    const db = this.svc.db;
    const now = (): number => this.svc.clock.now();
    const visible = (auth: Principal | undefined, id: string): Invoice => {
      const inv = this.invoice(id);
      this.assertVisible(auth, inv);
      return inv;
    };
    return {
      whoami: ({ auth }) => {
        const till = auth?.tillId ? tillView(this.mustTill(auth.tillId)) : null;
        return { role: auth?.role ?? 'owner', name: auth?.name ?? 'owner', till };
      },
      counterConfig: () => {
        const s = this.svc.settings;
        const live = this.svc.liveRates.decide(s.fiat.currency); // manual or live, never stale (docs/rates.md)
        const rate = live.ok ? live.rate : null;
        return {
          shop_name: s.counter.shop_name,
          network: this.svc.network,
          currency: s.fiat.currency,
          rate,
          rate_message: live.ok ? null : live.message,
          decimals: currencyDecimals(s.fiat.currency),
          min_sats: minInvoiceSats(this.walletScript()),
          tips: s.counter.tips,
          quick_items: s.counter.quick_items,
          refund_policy: s.refund_policy,
          paid_screen_s: s.counter.paid_screen_s,
        };
      },
      listTills: () => ({ tills: (db.prepare('SELECT * FROM tills ORDER BY created_at, id').all() as TillRow[]).map(tillView) }),
      createTill: ({ body }) => {
        const id = `till${crypto.randomBytes(4).toString('hex')}`;
        this.uniqueTillName(body.name, null);
        db.prepare('INSERT INTO tills (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)').run(id, body.name, now(), now());
        return tillView(this.mustTill(id));
      },
      patchTill: ({ params, body }) => {
        this.mustTill(params.id);
        this.uniqueTillName(body.name, params.id);
        db.prepare('UPDATE tills SET name = ?, updated_at = ? WHERE id = ?').run(body.name, now(), params.id);
        this.bump();
        return tillView(this.mustTill(params.id));
      },
      deleteTill: ({ params }) => {
        this.mustTill(params.id);
        const bound = db.prepare('SELECT COUNT(*) AS n FROM api_tokens WHERE till_id = ? AND revoked_at IS NULL').get(params.id) as { n: number };
        if (bound.n > 0) throw new SatdeskError('invalid_request', `${bound.n} device${bound.n === 1 ? ' is' : 's are'} paired to this till: revoke them first.`);
        db.transaction(() => {
          db.prepare('UPDATE api_tokens SET till_id = NULL WHERE till_id = ?').run(params.id);
          db.prepare('DELETE FROM tills WHERE id = ?').run(params.id);
        })();
        return { id: params.id, deleted: true as const };
      },
      setTillSale: ({ params, body, auth }) => {
        const till = this.tillFor(auth, params.id);
        if (body.invoice_id !== null) visible(auth, body.invoice_id);
        const prompt = body.invoice_id === null && body.prompt ? JSON.stringify(body.prompt) : null;
        db.prepare('UPDATE tills SET current_invoice_id = ?, prompt = ?, updated_at = ? WHERE id = ?').run(body.invoice_id, prompt, now(), till.id);
        this.bump();
        return tillView(this.mustTill(till.id));
      },
      displayState: (input) => this.displayState(input),
      createReceipt: ({ params, auth }) => {
        visible(auth, params.id);
        const key = receiptKey(db, params.id);
        this.bump();
        return { key, path: receiptPath(key) };
      },
      getReceipt: ({ params }) => {
        const row = db.prepare('SELECT invoice_id FROM sales WHERE receipt_key = ?').get(params.key) as { invoice_id: string } | undefined;
        if (!row) throw new SatdeskError('not_found', 'No such receipt.');
        const inv = this.invoice(row.invoice_id);
        return {
          shop_name: this.svc.settings.counter.shop_name,
          network: this.svc.network,
          id: inv.id,
          created_at: inv.created_at,
          status: inv.status,
          amount_sats: inv.amount_sats,
          amount_btc: inv.amount_btc,
          fiat: inv.fiat,
          tip: inv.tip,
          label: inv.label,
          items: inv.items,
          address: inv.address,
          paid_sats: inv.paid_sats,
          payments: inv.payments.filter((p) => p.counted).map((p) => ({ txid: p.txid, sats: p.sats, confirmations: p.confirmations, time: p.time })),
          refund_policy: inv.refund_policy,
        };
      },
      setDeskNote: ({ params, body, auth }) => {
        visible(auth, params.id);
        setDeskNote(db, params.id, body.note);
        return { id: params.id, desk_note: body.note };
      },
      previewWallet: ({ body }) => this.svc.pool.preview(body.xpub, body.script),
      listTokens: () => ({ tokens: listTokenRows(db).map(tokenView) }),
      createToken: ({ body }) =>
        db.transaction(() => {
          const row = createTokenRow(db, body, now());
          return { token: tokenView(row), pairing: this.withFingerprint(newPairing(db, row.id, now())) };
        })(),
      pairToken: ({ params }) => this.withFingerprint(newPairing(db, params.id, now())),
      revokeToken: ({ params }) => tokenView(revokeTokenRow(db, params.id, now())),
      pair: ({ body }) => {
        const { token, row } = this.pairing.redeem(body.code, now());
        return { token, role: row.role, name: row.name, till: row.till_id ? tillView(this.mustTill(row.till_id)) : null };
      },
      // A cashier works with today's sales only.
      getInvoice: (input) => {
        const inv = base.getInvoice(input) as Invoice;
        this.assertVisible(input.auth, inv);
        return inv;
      },
      cancelInvoice: (input) => {
        visible(input.auth, input.params.id);
        return base.cancelInvoice(input);
      },
      listInvoices: async (input) => {
        const page = (await base.listInvoices(input)) as MethodOutput<'listInvoices'>;
        if (!input.auth || input.auth.role === 'owner') return page;
        // Newest first: once a row is from before today, every later one is too.
        const since = startOfLocalDay(now());
        const invoices = page.invoices.filter((i) => Date.parse(i.created_at) >= since);
        return { invoices, next_cursor: invoices.length < page.invoices.length ? null : page.next_cursor };
      },
    };
  }

  /** The pairing link carries the certificate's fingerprint (`?fp=`), so the device can check whom it pairs with. */
  private withFingerprint(p: { code: string; expires_at: string; path: string }): { code: string; expires_at: string; path: string; fingerprint: string | null } {
    const fp = this.tlsFingerprint;
    return { ...p, path: fp ? `${p.path}?fp=${fp.replace(/:/g, '')}` : p.path, fingerprint: fp };
  }

  private uniqueTillName(name: string, self: string | null): void {
    const other = this.svc.db.prepare('SELECT id FROM tills WHERE name = ?').get(name) as { id: string } | undefined;
    if (other && other.id !== self) throw new SatdeskError('invalid_request', `A till is already called "${name}".`);
  }
}
