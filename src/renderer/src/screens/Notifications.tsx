/** Notifications: the delivery log (docs/spec/notifications.md#the-log) with each attempt, the request body, resend and test callbacks. */
import { useCallback, useEffect, useState } from 'react';
import { useConsole } from '../store.ts';
import { call, demoCall } from '../api.ts';
import { errorText, fmtTime, short } from '../format.ts';
import { FilterChips } from '../FilterChips.tsx';
import type { Agent, Delivery } from '../../../shared/contract.ts';
import { DELIVERY_STATES } from '../../../core/vocabulary.ts';

const STATES = ['', ...DELIVERY_STATES] as const;

/** The request as it was sent, indented when it is JSON (XMPP messages are plain text). */
function requestBodyText(d: Delivery): string {
  try {
    return JSON.stringify(JSON.parse(d.request_body), null, 2);
  } catch {
    return d.request_body;
  }
}

export function DeliveryRow({ d, agentName, onChanged }: { d: Delivery; agentName?: string; onChanged?: () => void }) {
  const [open, setOpen] = useState(false);
  const showToast = useConsole((s) => s.showToast);
  const last = d.attempts[d.attempts.length - 1];
  return (
    <div className={`delivery state-${d.state}`} data-delivery={d.id} data-state={d.state}>
      <button type="button" className="delivery-head" aria-expanded={open} onClick={() => setOpen(!open)}>
        <span className={`chip state ${d.state.toLowerCase()}`}>{d.state}</span>
        <span className="mono">{short(d.id, 6)}</span>
        <span>{agentName ?? d.agent_id}</span>
        <span>{d.event ?? (d.threshold !== null ? `${d.threshold} conf` : '')}</span>
        <span className="mono" title={d.txid ?? ''}>
          {d.txid ? short(d.txid) : ''}
        </span>
        <span>
          {d.attempts.length} attempt{d.attempts.length === 1 ? '' : 's'}
          {last ? ` · last ${last.http_status ?? last.error ?? '—'}` : ''}
        </span>
        <span className="muted">{d.state === 'RETRY' || d.state === 'PENDING' ? (d.next_attempt_at ? `next ${fmtTime(d.next_attempt_at)}` : '') : last ? fmtTime(last.at) : ''}</span>
      </button>
      {open && (
        <div className="delivery-body">
          {d.redelivery_of && <p className="muted">Resend of {d.redelivery_of}</p>}
          {d.notification_id !== null && (
            <p className="muted" data-testid="notification-id">
              Notification <span className="mono">{String(d.notification_id)}</span>: the same on every retry and resend, so the receiver credits it once.
            </p>
          )}
          <table className="table attempts">
            <thead>
              <tr>
                <th>Attempt</th>
                <th>Time</th>
                <th>HTTP</th>
                <th>Latency</th>
                <th>Error</th>
                <th>Response</th>
              </tr>
            </thead>
            <tbody>
              {d.attempts.map((a, i) => (
                <tr key={i} className={a.http_status !== null && a.http_status >= 200 && a.http_status < 300 ? 'ok' : 'bad'}>
                  <td>{i + 1}</td>
                  <td>{fmtTime(a.at)}</td>
                  <td data-testid="attempt-status">{a.http_status ?? '—'}</td>
                  <td>{a.duration_ms !== null ? `${a.duration_ms} ms` : '—'}</td>
                  <td>{a.error ?? ''}</td>
                  <td>
                    <code className="excerpt">{a.response_excerpt ?? ''}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <SentHeaders attempts={d.attempts} />
          <h3>Request body</h3>
          <pre className="body">{requestBodyText(d)}</pre>
          <button type="button" onClick={() => void call('redeliver', { params: { id: d.id } }).then(() => {
                showToast('Resent as a new delivery');
                onChanged?.();
              }, (e: unknown) => showToast(errorText(e)))}>
            Resend
          </button>
        </div>
      )}
    </div>
  );
}

/** The headers each attempt sent, as stored: what the receiver got, not a rebuild with today's token. */
function SentHeaders({ attempts }: { attempts: Delivery['attempts'] }) {
  const sent = attempts.map((a, i) => [i + 1, a.request_headers] as const).filter((x): x is readonly [number, Record<string, string>] => !!x[1]);
  if (!sent.length) return null;
  return (
    <>
      <h3>Request headers</h3>
      {sent.map(([n, h]) => (
        <details key={n} className="sent-headers" open={n === sent[sent.length - 1]![0]}>
          <summary>Attempt {n}</summary>
          <pre className="body" data-testid="sent-headers">
            {Object.entries(h)
              .map(([k, v]) => `${k}: ${v}`)
              .join('\n')}
          </pre>
        </details>
      ))}
      <p className="hint">The signature's HMAC is withheld here: with the exact bytes beside it, anyone reading this log could test guesses of the agent token.</p>
    </>
  );
}

interface Received {
  at: string;
  delivery: string | null;
  test: boolean;
  answered: number;
  body: unknown;
}

/** Demo mode: what the demo shop's receiver actually got, beside what Satdesk says it sent. */
function DemoReceiverLog({ seq }: { seq: number }) {
  const demo = useConsole((s) => s.demo);
  const [rows, setRows] = useState<Received[]>([]);
  useEffect(() => {
    if (demo) demoCall<{ callbacks: Received[] }>('receiver').then((r) => setRows(r.callbacks), () => {});
  }, [demo, seq]);
  if (!demo) return null;
  return (
    <section className="panel demo-receiver">
      <h2>
        Demo shop receiver <span className="demo-tag">Sandbox</span>
      </h2>
      {rows.length === 0 ? (
        <p className="muted">Nothing received yet: simulate a payment on the Sell screen.</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>Received</th>
              <th>Delivery</th>
              <th>Answered</th>
              <th>Body</th>
            </tr>
          </thead>
          <tbody>
            {rows.slice(0, 20).map((r, i) => (
              <tr key={i}>
                <td>{fmtTime(r.at)}</td>
                <td className="mono">
                  {r.delivery ? short(r.delivery, 6) : '—'}
                  {r.test && ' (test)'}
                </td>
                <td className={r.answered === 200 ? '' : 'error'}>{r.answered}</td>
                <td>
                  <code className="excerpt">{JSON.stringify(r.body).slice(0, 160)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function NotificationsScreen() {
  const deliverySeq = useConsole((s) => s.deliverySeq);
  const showToast = useConsole((s) => s.showToast);
  const [state, setState] = useState<(typeof STATES)[number]>('');
  const [agent, setAgent] = useState('');
  const [agents, setAgents] = useState<Agent[]>([]);
  const [rows, setRows] = useState<Delivery[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loads, setLoads] = useState(0);

  useEffect(() => {
    call('listAgents').then((r) => setAgents(r.agents), () => {});
  }, [deliverySeq]);

  const load = useCallback(
    (after: string | null) => {
      call('listDeliveries', { query: { state: state || undefined, agent: agent || undefined, limit: 100, cursor: after ?? undefined } }).then(
        (r) => {
          setRows((prev) => (after && prev ? [...prev, ...r.deliveries] : r.deliveries));
          setCursor(r.next_cursor);
          setLoads((n) => n + 1);
          setError(null);
          void useConsole.getState().refreshSysinfo().catch(() => {});
        },
        (e: unknown) => setError(errorText(e)),
      );
    },
    [state, agent],
  );
  // Reload the first page on every delivery event and on invoice events (payments plan deliveries).
  const eventSeq = useConsole((s) => s.eventSeq);
  useEffect(() => {
    const t = setTimeout(() => load(null), 200);
    return () => clearTimeout(t);
  }, [load, deliverySeq, eventSeq]);
  // The sender publishes only failures as events: while a shown delivery is pending or retrying, read the log again
  // at its stored next attempt time (not a polling loop: it stops when nothing is in flight).
  useEffect(() => {
    const due = (rows ?? []).filter((d) => d.state === 'PENDING' || d.state === 'RETRY').map((d) => (d.next_attempt_at ? Date.parse(d.next_attempt_at) : Date.now()));
    if (!due.length) return;
    const wait = Math.min(60_000, Math.max(500, Math.min(...due) - Date.now() + 500));
    const t = setTimeout(() => load(null), wait);
    return () => clearTimeout(t);
  }, [rows, load]);

  const names = new Map(agents.map((a) => [a.id, a.name]));
  return (
    <section className="notifications">
      <header className="screen-head">
        <h1>Notifications</h1>
        <div className="toolbar">
          <select aria-label="Agent" value={agent} onChange={(e) => setAgent(e.target.value)}>
            <option value="">All agents</option>
            {agents.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
          {agents.map((a) => (
            <button key={a.id} type="button" onClick={() => void call('testAgent', { params: { id: a.id } }).then(() => {
                showToast(`Test callback sent to ${a.name}`);
                load(null);
              }, (e: unknown) => showToast(errorText(e)))}>
              Test {a.name}
            </button>
          ))}
        </div>
      </header>
      <FilterChips label="State filter" options={STATES} value={state} onChange={setState} />
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {rows !== null && rows.length === 0 && (
        <div className="empty-state">
          {agents.length === 0 ? (
            <>
              No callbacks yet. Add an agent (your shop&apos;s callback URL) under <a href="#/settings">Settings</a> so your shop hears about every payment.
            </>
          ) : (
            'No deliveries yet: they appear here as payments reach your agents’ thresholds. Send a test callback to check your receiver.'
          )}
        </div>
      )}
      <div className="deliveries">
        {(rows ?? []).map((d) => (
          <DeliveryRow key={d.id} d={d} agentName={names.get(d.agent_id)} onChanged={() => load(null)} />
        ))}
      </div>
      {cursor && (
        <button type="button" onClick={() => load(cursor)}>
          Load more
        </button>
      )}
      <DemoReceiverLog seq={loads} />
    </section>
  );
}
