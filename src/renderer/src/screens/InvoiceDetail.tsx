/** One invoice: amounts, payments with confirmations, a timeline, the notifications sent for it, and actions. */
import { useEffect, useState } from 'react';
import type { Delivery, Invoice } from '../../../shared/contract.ts';
import type { MarkAction } from '../../../core/vocabulary.ts';
import { call } from '../api.ts';
import { isOwner, useConsole } from '../store.ts';
import { useConfirm } from '../Dialog.tsx';
import { Qr } from '../Qr.tsx';
import { copyText, errorText, fmtSats, fmtTime, formatBtc, qrUri, short, STATUS_LABEL } from '../format.ts';
import { DeliveryRow } from './Notifications.tsx';
import { DemoPayControls } from './Sell.tsx';
import { RefundsPanel } from './Refunds.tsx';

interface TimelineItem {
  at: string;
  text: string;
}

function timeline(inv: Invoice): TimelineItem[] {
  const items: TimelineItem[] = [{ at: inv.created_at, text: `Created for ${inv.amount_btc} BTC, address ${short(inv.address, 10)}` }];
  for (const p of inv.payments) {
    items.push({ at: p.time, text: `Payment ${short(p.txid)} of ${fmtSats(p.sats)} seen${p.counted ? '' : ' (not counted)'}${p.rbf ? ', signals RBF' : ''}` });
    if (p.height > 0) items.push({ at: p.time, text: `…mined at height ${p.height.toLocaleString('en-US')}, ${p.confirmations} confirmation${p.confirmations === 1 ? '' : 's'}` });
  }
  for (const r of inv.refunds) items.push({ at: r.created_at, text: `Refund recorded: ${fmtSats(r.sats)}${r.address ? ` to ${short(r.address, 10)}` : ''}${r.txid ? ` in ${short(r.txid)}` : ''}${r.note ? ` — ${r.note}` : ''}` });
  if (inv.status === 'expired' || inv.status === 'invalid') items.push({ at: inv.expires_at, text: `Expired${inv.status === 'invalid' ? ' (paid, not confirmed in time: invalid)' : ''}` });
  items.sort((a, b) => a.at.localeCompare(b.at));
  items.push({ at: '', text: `Now: ${STATUS_LABEL[inv.status]}${inv.flags.length ? ` (${inv.flags.join(', ')})` : ''}${inv.note ? ` — note: ${inv.note}` : ''}` });
  return items;
}

export function InvoiceDetail({ id }: { id: string }) {
  const inv = useConsole((s) => s.invoices[id] ?? null);
  const deliverySeq = useConsole((s) => s.deliverySeq);
  const showToast = useConsole((s) => s.showToast);
  const [error, setError] = useState<string | null>(null);
  const [deliveries, setDeliveries] = useState<Delivery[] | null>(null);
  const [agentNames, setAgentNames] = useState<Map<string, string>>(new Map());
  const [markStatus, setMarkStatus] = useState<MarkAction>('confirmed');
  const [note, setNote] = useState('');
  const [deskNote, setDeskNote] = useState<string | null>(null);
  const owner = useConsole(isOwner);
  const [ask, dialog] = useConfirm();

  useEffect(() => {
    call('getInvoice', { params: { id } }).then((v) => useConsole.getState().setInvoice(v), (e: unknown) => setError(errorText(e)));
  }, [id]);

  const address = inv?.address;
  const txids = inv?.payments.map((p) => p.txid).join(',');
  useEffect(() => {
    if (!address || !owner) return;
    // Deliveries name the address and txid they are about; the newest few hundred are enough for one invoice.
    call('listAgents').then((r) => setAgentNames(new Map(r.agents.map((x) => [x.id, x.name]))), () => {});
    call('listDeliveries', { query: { limit: 500 } }).then(
      (r) => setDeliveries(r.deliveries.filter((d) => d.address === address || (d.txid && txids?.includes(d.txid)))),
      () => setDeliveries([]),
    );
  }, [address, txids, id, deliverySeq, owner]);

  if (error) return <p role="alert" className="error">{error}</p>;
  if (!inv) return <p className="loading">Loading…</p>;
  const act = (p: Promise<Invoice>, done: string): Promise<void> =>
    p.then((v) => {
      useConsole.getState().setInvoice(v);
      showToast(done);
    });
  const MARK_TEXT = { confirmed: 'Mark confirmed', invalid: 'Mark invalid', cancelled: 'Mark cancelled', released: 'Release address' } as const;
  const mark = (): void => {
    const unpaidConfirm = markStatus === 'confirmed' && inv.paid_sats === 0;
    ask({
      title: `${MARK_TEXT[markStatus]}?`,
      children: unpaidConfirm ? (
        <p>
          <strong>This invoice received nothing on the chain.</strong> Marking it confirmed tells your shop it was paid. Say why (for example
          “paid in cash”): the note is kept with the invoice.
        </p>
      ) : (
        <p>The invoice&apos;s status is set by hand{note ? ` with the note “${note}”` : ''}; the chain no longer decides it.</p>
      ),
      typed: unpaidConfirm ? { label: 'Why (required)', placeholder: 'Paid in cash at the till' } : undefined,
      confirmLabel: MARK_TEXT[markStatus],
      danger: true,
      onConfirm: (typed) => act(call('markInvoice', { params: { id: inv.id }, body: { status: markStatus, note: typed || note } }), 'Invoice marked'),
    });
  };
  const open = inv.status === 'unpaid' || inv.status === 'partial';
  return (
    <section className="invoice-detail" data-status={inv.status}>
      <header className="screen-head">
        <h1>
          <a href="#/invoices" className="back" aria-label="Back to invoices">
            ←
          </a>{' '}
          Invoice <span className="mono">{inv.id}</span>
        </h1>
        <span className={`chip big status-${inv.status}`} data-testid="detail-status">
          {STATUS_LABEL[inv.status]}
        </span>
      </header>
      <div className="detail-grid">
        <dl className="facts">
          <dt>Amount</dt>
          <dd>
            {inv.amount_btc} BTC · {fmtSats(inv.amount_sats)}
            {inv.fiat && ` · ${inv.fiat.amount} ${inv.fiat.currency} at ${inv.fiat.rate}`}
          </dd>
          <dt>Received</dt>
          <dd>
            {fmtSats(inv.paid_sats)} ({fmtSats(inv.confirmed_sats)} confirmed)
            {inv.missing_sats > 0 && <span className="missing"> · missing {fmtSats(inv.missing_sats)}</span>}
            {inv.overpaid_sats > 0 && <span> · overpaid {fmtSats(inv.overpaid_sats)}</span>}
          </dd>
          <dt>Label</dt>
          <dd>{inv.label || '—'}</dd>
          <dt>Order ref</dt>
          <dd className="mono">{inv.userdata || '—'}</dd>
          <dt>Address</dt>
          <dd>
            <code>{inv.address}</code>{' '}
            <button type="button" className="small" onClick={() => void copyText(inv.address).then(() => showToast('Address copied'))}>
              Copy
            </button>
          </dd>
          <dt>Payment link</dt>
          <dd>
            <button type="button" className="small" onClick={() => void copyText(inv.bip21).then(() => showToast('BIP21 link copied'))}>
              Copy BIP21
            </button>{' '}
            <button type="button" className="small" onClick={() => void copyText(inv.id).then(() => showToast('Invoice id copied'))}>
              Copy id
            </button>
          </dd>
          <dt>Created</dt>
          <dd>{fmtTime(inv.created_at)}</dd>
          <dt>Expires</dt>
          <dd>{fmtTime(inv.expires_at)}</dd>
          <dt>Confirmations</dt>
          <dd>
            {inv.confirmations_required} required · tolerance {inv.tolerance_pct}%
            {inv.confirmations_note && (
              <div className="muted" data-testid="confirmations-note">
                {inv.confirmations_note}
              </div>
            )}
          </dd>
          {inv.note && (
            <>
              <dt>Note</dt>
              <dd>{inv.note}</dd>
            </>
          )}
        </dl>
        {open && (
          <div className="detail-qr">
            <Qr text={qrUri(inv)} label="Payment QR code" />
          </div>
        )}
      </div>

      <h2>Payments</h2>
      {inv.payments.length === 0 ? (
        <p className="muted">No payment seen yet.</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>Transaction</th>
              <th>Amount</th>
              <th>Height</th>
              <th>Confirmations</th>
              <th>Seen</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {inv.payments.map((p) => (
              <tr key={p.txid}>
                <td className="mono" title={p.txid}>
                  {short(p.txid, 10)}
                </td>
                <td>{formatBtc(p.sats)} BTC</td>
                <td>{p.height || 'mempool'}</td>
                <td data-testid="payment-confirmations">{p.confirmations}</td>
                <td>{fmtTime(p.time)}</td>
                <td>
                  {!p.counted && <span className="chip flag">not counted</span>}
                  {p.rbf && <span className="chip flag">RBF</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <RefundsPanel invoice={inv} canRefund={owner} />

      <h2>Timeline</h2>
      <ol className="timeline">
        {timeline(inv).map((t, i) => (
          <li key={i}>
            <time>{t.at ? fmtTime(t.at) : ''}</time> {t.text}
          </li>
        ))}
      </ol>

      {owner && <h2>Notifications sent</h2>}
      {!owner ? null : deliveries === null ? (
        <p className="muted">Loading…</p>
      ) : deliveries.length === 0 ? (
        <p className="muted">No callback was sent for this invoice yet.</p>
      ) : (
        <div className="deliveries">
          {deliveries.map((d) => (
            <DeliveryRow key={d.id} d={d} agentName={agentNames.get(d.agent_id)} />
          ))}
        </div>
      )}

      {inv.refund_policy && (
        <>
          <h2>Refund policy</h2>
          <p className="refund-policy">{inv.refund_policy}</p>
        </>
      )}

      <h2>Actions</h2>
      <div className="actions">
        {open && (
          <button
            type="button"
            className="danger"
            onClick={() =>
              ask({
                title: 'Cancel this invoice?',
                children: <p>The customer can no longer pay it. This cannot be undone.</p>,
                confirmLabel: 'Cancel invoice',
                cancelLabel: 'Keep it',
                danger: true,
                onConfirm: () => act(call('cancelInvoice', { params: { id: inv.id } }), 'Invoice cancelled'),
              })
            }
          >
            Cancel invoice
          </button>
        )}
        {owner && (
          <>
            <select aria-label="Mark as" value={markStatus} onChange={(e) => setMarkStatus(e.target.value as typeof markStatus)}>
              <option value="confirmed">Mark confirmed</option>
              <option value="invalid">Mark invalid</option>
              <option value="cancelled">Mark cancelled</option>
              <option value="released">Release address</option>
            </select>
            <input aria-label="Note" placeholder="Note (why)" value={note} onChange={(e) => setNote(e.target.value)} />
            <button type="button" onClick={mark}>
              Apply…
            </button>
          </>
        )}
      </div>
      <h2>Cash-desk note</h2>
      <form
        className="actions"
        onSubmit={(e) => {
          e.preventDefault();
          void call('setDeskNote', { params: { id: inv.id }, body: { note: deskNote ?? inv.desk_note } }).then(
            (r) => {
              useConsole.getState().setInvoice({ ...inv, desk_note: r.desk_note });
              showToast('Note saved');
            },
            (err: unknown) => showToast(errorText(err)),
          );
        }}
      >
        <input aria-label="Cash-desk note" placeholder="e.g. customer paid 2.00 in cash" maxLength={500} value={deskNote ?? inv.desk_note} onChange={(e) => setDeskNote(e.target.value)} />
        <button type="submit">Save note</button>
      </form>
      {dialog}
      <DemoPayControls invoice={inv} />
    </section>
  );
}
