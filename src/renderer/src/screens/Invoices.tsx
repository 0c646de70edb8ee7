/** Invoices: a windowed list paged through the API with cursors, a status filter and search. */
import { memo, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Invoice } from '../../../shared/contract.ts';
import { call } from '../api.ts';
import { isOwner, onInvoiceEvent, sellReadiness, useConsole } from '../store.ts';
import { VirtualList } from '../VirtualList.tsx';
import { navigate } from '../router.ts';
import { errorText, fmtFiat, fmtTime, formatBtc, STATUS_LABEL } from '../format.ts';
import { FilterChips } from '../FilterChips.tsx';
import { downloadExport, type ExportKind } from '../exports.ts';
import { InvoiceTotals } from './InvoiceTotals.tsx';

const STATUSES = ['', 'unpaid', 'partial', 'paid', 'confirmed', 'expired', 'invalid', 'cancelled'] as const;
type StatusFilter = (typeof STATUSES)[number];
const PAGE = 200;
const ROW_H = 40;

interface ListState {
  key: string;
  rows: Invoice[];
  index: Map<string, number>;
  cursor: string | null;
  done: boolean;
  loading: boolean;
  gen: number;
}

const TZ = Intl.DateTimeFormat().resolvedOptions().timeZone;

/** The list's filter as the API takes it: the list, its totals and the exports all get this one. */
function filterQuery(status: StatusFilter, q: string, from: string, to: string): Record<string, string | undefined> {
  return { status: status || undefined, q: q || undefined, from: from || undefined, to: to || undefined, tz: from || to ? TZ : undefined };
}

/** The local date (YYYY-MM-DD) of an ISO time where this console runs. */
function localDay(isoTime: string): string {
  const d = new Date(isoTime);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

function matches(inv: Invoice, status: StatusFilter, q: string, from = '', to = ''): boolean {
  if (status && inv.status !== status) return false;
  if (from || to) {
    const day = localDay(inv.created_at);
    if ((from && day < from) || (to && day > to)) return false;
  }
  if (!q) return true;
  const n = q.toLowerCase();
  return [inv.id, inv.label, inv.userdata, inv.address, ...inv.payments.map((p) => p.txid)].some((s) => s.toLowerCase().includes(n));
}

/** One list row's cells; memoized so scrolling re-renders only rows entering the window. */
const InvoiceRow = memo(function InvoiceRow({ inv }: { inv: Invoice }) {
  return (
    <>
      <span role="cell" className="c-time">
        {fmtTime(inv.created_at)}
      </span>
      <span role="cell" className="c-id mono">
        <a href={`#/invoices/${encodeURIComponent(inv.id)}`}>{inv.id}</a>
      </span>
      <span role="cell" className="c-label">
        {inv.label || <em className="muted">no label</em>}
      </span>
      <span role="cell" className="c-ref mono">
        {inv.userdata || <span className="muted">—</span>}
      </span>
      <span role="cell" className="c-fiat">
        {inv.fiat ? fmtFiat(inv.fiat.amount, inv.fiat.currency) : <span className="muted">—</span>}
      </span>
      <span role="cell" className="c-amount mono">
        {formatBtc(inv.amount_sats)}
      </span>
      <span role="cell" className="c-status">
        <span className={`chip status-${inv.status}`}>{STATUS_LABEL[inv.status]}</span>
        {inv.flags.map((f) => (
          <span key={f} className="chip flag">
            {f}
          </span>
        ))}
      </span>
    </>
  );
});

const COLUMNS = [
  ['c-time', 'Created'],
  ['c-id', 'Invoice'],
  ['c-label', 'Label'],
  ['c-ref', 'Order ref'],
  ['c-fiat', 'Fiat'],
  ['c-amount', 'BTC'],
  ['c-status', 'Status'],
] as const;

const openInvoice = (inv: Invoice): void => navigate('invoices', inv.id);
const rowClass = (inv: Invoice): string => `inv-row status-${inv.status}`;

export function InvoicesScreen() {
  const [status, setStatus] = useState<StatusFilter>('');
  const [qDraft, setQDraft] = useState('');
  const [q, setQ] = useState('');
  // A date range (local days where this console runs): the list, its totals and the exports get the same filter.
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [version, setVersion] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const showToast = useConsole((s) => s.showToast);
  const readiness = useConsole(sellReadiness);
  const owner = useConsole(isOwner);
  const st = useRef<ListState>({ key: '', rows: [], index: new Map(), cursor: null, done: false, loading: false, gen: 0 });
  // A new filter starts a new list (during render, so the windowed list asks for the first page exactly once).
  const key = `${status}\u0000${q}\u0000${from}\u0000${to}`;
  if (st.current.key !== key) st.current = { key, rows: [], index: new Map(), cursor: null, done: false, loading: false, gen: st.current.gen + 1 };

  // Search as you type, once typing pauses.
  useEffect(() => {
    const t = setTimeout(() => setQ(qDraft.trim()), 250);
    return () => clearTimeout(t);
  }, [qDraft]);

  const filter = useMemo(() => filterQuery(status, q, from, to), [status, q, from, to]);
  const download = (kind: ExportKind): void => void downloadExport(kind, filter).catch((e: unknown) => showToast(errorText(e)));

  const loadMore = useCallback(() => {
    const s = st.current;
    if (s.loading || s.done || s.key !== key) return;
    s.loading = true;
    const gen = s.gen;
    call('listInvoices', { query: { ...filter, limit: PAGE, cursor: s.cursor ?? undefined } }).then(
      (page) => {
        if (gen !== st.current.gen) return;
        for (const inv of page.invoices) {
          if (s.index.has(inv.id)) continue;
          s.index.set(inv.id, s.rows.length);
          s.rows.push(inv);
        }
        s.cursor = page.next_cursor;
        s.done = page.next_cursor === null;
        s.loading = false;
        setError(null);
        setVersion((v) => v + 1);
      },
      (e: unknown) => {
        if (gen !== st.current.gen) return;
        s.loading = false;
        s.done = true;
        setError(errorText(e));
        setVersion((v) => v + 1);
      },
    );
  }, [key, filter]);

  // Live: new invoices appear on top, changed ones update in place (or leave a status filter they no longer match).
  useEffect(
    () =>
      onInvoiceEvent((inv) => {
        const s = st.current;
        const at = s.index.get(inv.id);
        if (at !== undefined) {
          if (matches(inv, status, q, from, to)) s.rows[at] = inv;
          else {
            s.rows.splice(at, 1);
            s.index = new Map(s.rows.map((r, i) => [r.id, i]));
          }
        } else if (matches(inv, status, q, from, to)) {
          s.rows.unshift(inv);
          s.index = new Map(s.rows.map((r, i) => [r.id, i]));
        } else return;
        setVersion((v) => v + 1);
      }),
    [status, q, from, to],
  );

  const s = st.current;
  const renderRow = useCallback((inv: Invoice) => <InvoiceRow inv={inv} />, []);

  return (
    <section className="invoices">
      <header className="screen-head">
        <h1>{owner ? 'Invoices' : 'Today\u2019s sales'}</h1>
        <div className="toolbar">
          <input type="search" aria-label="Search invoices" placeholder="Search id, label, order ref, address or txid" value={qDraft} onChange={(e) => setQDraft(e.target.value)} />
          {owner && (
            <>
              <label className="inline">
                From <input type="date" aria-label="Created from" value={from} max={to || undefined} onChange={(e) => setFrom(e.target.value)} />
              </label>
              <label className="inline">
                To <input type="date" aria-label="Created to" value={to} min={from || undefined} onChange={(e) => setTo(e.target.value)} />
              </label>
              <button type="button" onClick={() => download('exportInvoices')} title="The invoices this filter shows">
                Export CSV
              </button>
              <button type="button" onClick={() => download('exportPayments')} title="Their payments and refunds">
                Payments CSV
              </button>
            </>
          )}
        </div>
      </header>
      <FilterChips label="Status filter" options={STATUSES} value={status} onChange={setStatus} text={(x) => (x ? STATUS_LABEL[x] : 'All')} />
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {s.done && s.rows.length === 0 ? (
        <div className="empty-state" data-testid="invoices-empty">
          {q || status || from || to ? (
            'No invoice matches this filter.'
          ) : readiness === 'no-source' ? (
            <>
              No invoices yet. <a href="#/addresses">Add addresses or an xpub</a> first, then make a sale on the <a href="#/sell">Sell</a> screen.
            </>
          ) : (
            <>
              No invoices yet. Make a sale on the <a href="#/sell">Sell</a> screen, or let your shop create them through the API.
            </>
          )}
        </div>
      ) : (
        <div className="inv-table" role="table" aria-label="Invoices" aria-rowcount={s.done ? s.rows.length + 1 : -1}>
          <div role="rowgroup">
            <div className="inv-head" role="row" aria-rowindex={1}>
              {COLUMNS.map(([cls, title]) => (
                <span key={cls} role="columnheader" className={cls}>
                  {title}
                </span>
              ))}
            </div>
          </div>
          <VirtualList
            items={s.rows}
            version={version}
            rowHeight={ROW_H}
            rowKey={(i) => i.id}
            renderRow={renderRow}
            hasMore={!s.done}
            onNeedMore={loadMore}
            rowClassName={rowClass}
            onRowClick={openInvoice}
            firstRowIndex={2}
          />
        </div>
      )}
      <InvoiceTotals filter={filter} />
      <p className="hint">
        {s.rows.length.toLocaleString('en-US')} loaded{s.done ? '' : ', more as you scroll'} · Click a row for details ·{' '}
        <button type="button" className="link" onClick={() => navigate('sell')}>
          New sale
        </button>
      </p>
    </section>
  );
}
