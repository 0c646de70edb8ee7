/**
 * Recording: what the watcher learned, written synchronously inside `service.write` — payments, their events, the
 * statuses of the invoices they touch, the header chain and the tip — so a crash leaves all of it or none.
 * Histories answered in the same event-loop turn share one transaction (group commit), each in its own savepoint.
 */
import type { Statement } from 'better-sqlite3';
import { attribute } from '../../core/attribution.ts';
import { paymentTime } from '../../core/payment-time.ts';
import { isRefundScript, recordRefundFacts } from '../books/refund-watch.ts';
import { unconfirmRefundsAbove } from '../books/refunds.ts';
import { insertEvent, type EventData } from '../events.ts';
import { evaluatedTipHash, setEvaluatedTip, watchedAt } from '../store/evaluated-tip.ts';
import { getInvoiceRow, nameInvoiceOnEvents, refreshInvoice, type InvoiceRow, type PaymentRow } from '../invoices.ts';
import type { Satdesk } from '../service.ts';
import type { HeaderStore, StoredHeader } from './headers.ts';
import type { AddressRow, EntryFacts } from './history.ts';
import type { TipPlan } from './header-sync.ts';
import { blockKey, INVOICE_COLUMNS, invoiceIdOf, invoiceSeqOf, scripthashOf } from '../store/chain-sql.ts';
import { requiredConfirmationsMax } from './watched.ts';
import { limit } from '../store/sqlite.ts';
import { PAYMENT_STATE_CODE } from '../store/codes.ts';

export class Recorder {
  private writeQueue: { fn: () => void; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private readonly db: Satdesk['db'];

  constructor(
    private readonly service: Satdesk,
    private readonly sql: (text: string) => Statement<unknown[]>,
    private readonly headers: HeaderStore,
    /** Lowest block height that arrived while watching on this connection, or null (payment-time rule). */
    private readonly liveFromHeight: () => number | null,
    /** Whether the second server already showed this transaction for this script hash (src/node/watcher/witness.ts). */
    private readonly secondServerShows: (sh: string, txid: string) => boolean = () => false,
  ) {
    this.db = service.db;
  }

  /** Commits a tip update; returns the script hashes whose payments a reorg took out of their blocks. */
  recordTip(plan: TipPlan): string[] {
    return this.service.write(() => {
      const now = this.service.clock.now();
      const touched = new Set<string>();
      const shs: string[] = [];
      if (plan.reorg) {
        this.headers.deleteAbove(plan.fork);
        const orphaned = this.sql(
            `SELECT p.id, ${invoiceIdOf('p')} AS invoice_id, ${scripthashOf('a')} AS scripthash FROM payments p JOIN addresses a ON a.id = p.address_id
             WHERE p.height > ? AND p.state = 'active'`,
          )
          .all(plan.fork) as { id: number; invoice_id: string | null; scripthash: string }[];
        this.sql('UPDATE payments SET height = 0, verified = 0, block_key = NULL, block_time = NULL WHERE height > ?').run(plan.fork);
        for (const o of orphaned) {
          if (o.invoice_id) touched.add(o.invoice_id);
          shs.push(o.scripthash);
        }
        shs.push(...unconfirmRefundsAbove(this.db, plan.fork));
      }
      for (const h of plan.checked) this.headers.insert(h);
      this.setTipState(plan.newTip);
      const reorg = plan.reorg ? { reorg: { fork_height: plan.fork, depth: plan.oldTip - plan.fork } } : {};
      insertEvent(this.db, 'chain.tip', null, null, { height: plan.newTip.height, hash: plan.newTip.hash, ...reorg }, now);
      // Confirmations changed between the lower of the old and new tips and the higher one.
      this.refreshInvoices(touched, now, Math.min(plan.oldTip, plan.newTip.height));
      return shs;
    });
  }

  /** The stored tip state matches our header tip (a first start, or a tip that was recorded without it). */
  ensureTipState(tip: StoredHeader): void {
    if (evaluatedTipHash(this.db) === tip.hash) return;
    this.service.write(() => {
      const before = Math.min(this.service.tipHeight(), tip.height);
      this.setTipState(tip);
      insertEvent(this.db, 'chain.tip', null, null, { height: tip.height, hash: tip.hash }, this.service.clock.now());
      this.refreshInvoices(new Set(), this.service.clock.now(), before);
    });
  }

  private setTipState(tip: StoredHeader): void {
    setEvaluatedTip(this.db, tip, this.service.clock.now());
  }

  /** When the watcher last followed the chain (ms), or null on a first start. */
  watchedAt(): number | null {
    return watchedAt(this.db);
  }

  /** Up to `n` addresses after id `after` (any but removed ones), for the slow check of what is no longer watched. */
  sweepPage(after: number, n: number): { id: number; scripthash: string }[] {
    return this.sql(`SELECT id, ${scripthashOf('addresses')} AS scripthash FROM addresses WHERE id > ? AND state <> 'removed' ORDER BY id ${limit(n)}`).all(after) as { id: number; scripthash: string }[];
  }

  /**
   * Inside a write: refreshes `ids` and, after a tip change, the invoices whose status the new tip can change: those
   * with a counted payment whose required confirmations are reached above `fromTip` (the lower of the old and new
   * tips). Only payments of the last `requiredConfirmationsMax` blocks qualify (index payments_climbing), so a
   * block costs what is still confirming, never the shop's history.
   */
  private refreshInvoices(ids: Set<string>, now: number, fromTip: number | null): void {
    const all = new Set(ids);
    if (fromTip !== null) {
      const most = requiredConfirmationsMax(this.db);
      const rows = this.sql(
        `SELECT DISTINCT i.id FROM payments p JOIN invoices i ON i.seq = p.invoice_seq
         WHERE p.state = 'active' AND p.height > @low AND p.height + MAX(i.confirmations_required, 1) - 1 > @fromTip`,
      ).all({ low: fromTip - Math.max(most, 1), fromTip }) as { id: string }[];
      for (const r of rows) all.add(r.id);
    }
    if (!all.size) return;
    const ctx = this.service.refreshContext(now);
    for (const id of all) {
      const row = getInvoiceRow(this.db, id);
      if (row) refreshInvoice(this.db, row, ctx);
    }
  }

  /**
   * Group commit: histories answered in the same event-loop turn commit in one transaction (one fsync under
   * synchronous=FULL instead of one each), every one in its own savepoint, so one notification's facts and events
   * still commit or roll back together.
   */
  recordHistory(addr: AddressRow, status: string | null, facts: EntryFacts[], existing: Map<string, PaymentRow>, additive = false): Promise<void> {
    return new Promise((resolve, reject) => {
      this.writeQueue.push({ fn: () => this.writeHistory(addr, status, facts, existing, additive), resolve, reject });
      if (this.writeQueue.length === 1) setImmediate(() => this.flushWrites());
    });
  }

  private flushWrites(): void {
    const queue = this.writeQueue;
    this.writeQueue = [];
    const outcomes: (Error | null)[] = [];
    try {
      this.service.write(() => {
        for (const w of queue) {
          try {
            this.db.transaction(w.fn)();
            outcomes.push(null);
          } catch (e) {
            outcomes.push(e instanceof Error ? e : new Error(String(e)));
          }
        }
      });
    } catch (e) {
      for (const w of queue) w.reject(e);
      return;
    }
    queue.forEach((w, i) => (outcomes[i] ? w.reject(outcomes[i]) : w.resolve()));
  }

  /** Which invoice a newly seen payment to this address counts toward, or null (unattributed: src/core/attribution.ts). */
  private attribute(addr: AddressRow, firstSeen: number, f: EntryFacts): string | null {
    let inv: InvoiceRow | undefined;
    if (addr.invoice_id) inv = getInvoiceRow(this.db, addr.invoice_id);
    else if (addr.origin === 'derived') {
      // A derived address belongs to one invoice for ever, even after it released the address.
      inv = this.sql(`SELECT ${INVOICE_COLUMNS} FROM invoices i WHERE i.address_id = ? ORDER BY i.seq DESC LIMIT 1`).get(addr.id) as InvoiceRow | undefined;
    }
    const taken = inv ? { takenAt: inv.created_at, tipAtTake: inv.taken_tip_height } : null;
    const verdict = attribute(taken, { firstSeen, height: f.height, blockTime: f.blockTime, belowAnchor: f.belowAnchor });
    return verdict.attributed ? inv!.id : null;
  }

  /** Inside a write: the accepted history of one address becomes payments, events and invoice statuses. */
  /**
   * `additive`: facts from a second server (src/node/watcher/witness.ts) — new payments are added and proofs
   * upgraded, but nothing is taken away and the primary's status stays (an omission never drops a payment).
   */
  private writeHistory(addr: AddressRow, status: string | null, facts: EntryFacts[], existing: Map<string, PaymentRow>, additive: boolean): void {
    const now = this.service.clock.now();
    if (isRefundScript(addr)) return recordRefundFacts(this.db, addr, status, facts, this.service.refreshContext(now));
    const touched = new Set<string>();
    const seen = new Set<string>();
    const update = this.sql(
      `UPDATE payments SET height = ?, block_key = ?, block_time = ?, verified = ?, unconfirmed_parent = ?, below_anchor = ?, state_code = ${PAYMENT_STATE_CODE.active} WHERE id = ?`,
    );
    const insert = this.sql(
      `INSERT INTO payments (txid, address_id, sats, invoice_seq, height, block_key, block_time, first_seen, time_own, rbf, verified,
         unconfirmed_parent, below_anchor, mempool_servers, state_code)
       VALUES (unhex(?), ?, ?, ${invoiceSeqOf('?')}, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ${PAYMENT_STATE_CODE.active})`,
    );
    for (const f of facts) {
      seen.add(f.txid);
      const block = f.blockHash === null ? null : blockKey(f.blockHash);
      const p = existing.get(f.txid);
      if (p) {
        // A second server may only add a proof we lacked, never take one away.
        if (additive && !(f.verified && p.verified === 0)) continue;
        const blockTime = f.blockTime ?? null;
        if (
          p.state !== 'active' || p.height !== f.height || p.block_key !== block || p.verified !== (f.verified ? 1 : 0) ||
          p.block_time !== blockTime || p.unconfirmed_parent !== (f.unconfirmedParent ? 1 : 0) || p.below_anchor !== (f.belowAnchor ? 1 : 0)
        ) {
          update.run(f.height, block, blockTime, f.verified ? 1 : 0, f.unconfirmedParent ? 1 : 0, f.belowAnchor ? 1 : 0, p.id);
          if (p.invoice_id) touched.add(p.invoice_id);
        }
        continue;
      }
      const invoiceId = this.attribute(addr, now, f);
      const time = paymentTime({ seenAt: now, height: f.height, blockTime: f.blockTime, liveFromHeight: this.liveFromHeight() });
      const r = insert.run(
        // The time is kept only where it is not the first-seen moment (migration 031: `time` reads it back).
        f.txid, addr.id, f.sats, invoiceId, f.height, block, f.blockTime, now, time === now ? null : time, f.rbf ? 1 : 0, f.verified ? 1 : 0,
        f.unconfirmedParent ? 1 : 0, f.belowAnchor ? 1 : 0, !additive && this.secondServerShows(addr.scripthash, f.txid) ? 2 : 1,
      );
      const paymentId = Number(r.lastInsertRowid);
      if (invoiceId) touched.add(invoiceId);
      else {
        const payment = { txid: f.txid, address: addr.address, sats: f.sats, height: f.height, rbf: f.rbf };
        insertEvent(this.db, 'payment.unattributed', null, paymentId, { payment }, now);
      }
    }
    const reversed: { id: number; invoiceId: string }[] = [];
    for (const p of existing.values()) {
      if (additive || p.state !== 'active' || seen.has(p.txid)) continue;
      this.sql(`UPDATE payments SET state_code = ${PAYMENT_STATE_CODE.gone}, verified = 0 WHERE id = ?`).run(p.id);
      const payment = { txid: p.txid, address: p.address, sats: p.sats, height: p.height };
      const id = insertEvent(this.db, 'payment.reversed', p.invoice_id, p.id, { payment, invoice: null, reason: 'no longer in the address history (replaced, double-spent or reorged out)' }, now);
      if (p.invoice_id) {
        touched.add(p.invoice_id);
        reversed.push({ id, invoiceId: p.invoice_id });
      }
    }
    if (!additive) this.sql('UPDATE addresses SET electrum_status = ? WHERE id = ?').run(status, addr.id);
    this.refreshInvoices(touched, now, null);
    nameInvoiceOnEvents(this.db, reversed, this.service.refreshContext(now));
  }

  private lastConnected: boolean | null = null;

  /** chain.status, only when connectedness changes: a server that keeps failing does not flood the event log. */
  connectivity(data: { connected: boolean } & Record<string, unknown>, log: (l: string) => void): void {
    if (this.lastConnected === data.connected) return;
    this.lastConnected = data.connected;
    this.chainEvent('chain.status', data, log);
  }

  /** A chain.* event in its own write; never fails the caller. */
  chainEvent(type: 'chain.status', data: Omit<EventData<'chain.status'>, 'tip_height'>, log: (l: string) => void): void {
    try {
      this.service.write(() => {
        insertEvent(this.db, type, null, null, { ...data, tip_height: this.service.tipHeight() || null }, this.service.clock.now());
      });
    } catch (e) {
      log(`watcher: could not record ${type}: ${(e as Error).message}`);
    }
  }
}
