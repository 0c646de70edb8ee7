/** Settings: network, Electrum servers, agents, invoice defaults, fiat, refund policy, local API, backup. */
import { useEffect, useState, type ReactNode } from 'react';
import type { Settings } from '../../../shared/contract.ts';
import { call, inElectron } from '../api.ts';
import { useConsole } from '../store.ts';
import { errorText } from '../format.ts';
import { ZERO_CONF_RISK_TEXT } from '../../../core/zeroconf.ts';
import { agentsAvailable, createAgent, deleteAgent, listAgents, patchAgent, rotateToken, testAgent, type Agent } from '../callbacks.ts';

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="panel">
      <h2>{title}</h2>
      {children}
    </section>
  );
}

function useSave(): [(patch: object, what: string) => Promise<void>, string | null] {
  const [error, setError] = useState<string | null>(null);
  const showToast = useConsole((s) => s.showToast);
  const save = async (patch: object, what: string): Promise<void> => {
    setError(null);
    try {
      const s = await call('patchSettings', { body: patch });
      useConsole.setState({ settings: s });
      showToast(`${what} saved`);
    } catch (e) {
      setError(errorText(e));
    }
  };
  return [save, error];
}

function InvoiceDefaults({ s }: { s: Settings }) {
  const [v, setV] = useState(s.invoice);
  const [save, error] = useSave();
  const num = (k: Exclude<keyof Settings['invoice'], 'zero_conf_risk'>) => (
    <input type="number" min={0} value={v[k]} onChange={(e) => setV({ ...v, [k]: Number(e.target.value) })} aria-label={k} />
  );
  return (
    <Section title="Invoice defaults">
      <form
        className="form-grid"
        onSubmit={(e) => {
          e.preventDefault();
          void save({ invoice: v }, 'Invoice defaults');
        }}
      >
        <label>Expires after (seconds){num('expires_in_s')}</label>
        <label>Confirmations required{num('confirmations')}</label>
        <label>Underpayment tolerance (%){num('tolerance_pct')}</label>
        <label>Monitoring after expiry (seconds){num('monitoring_s')}</label>
        <label title="The largest invoice that may settle on an unconfirmed payment. 0 = 0-conf is off.">
          0-conf limit (sats, 0 = off){num('zero_conf_limit_sats')}
        </label>
        <label>
          Unconfirmed payments
          <select value={v.zero_conf_risk} onChange={(e) => setV({ ...v, zero_conf_risk: e.target.value as Settings['invoice']['zero_conf_risk'] })} aria-label="zero_conf_risk">
            <option value="refuse">Never count them (wait for a block)</option>
            <option value="accept">I accept the risk: count them up to the limit</option>
            <option value="accept_unconfirmed_parents">…also when their parent is unconfirmed</option>
          </select>
        </label>
        <button type="submit" className="primary">
          Save
        </button>
      </form>
      <p className="hint">
        0-conf needs both a limit above 0 and the risk accepted; an invoice asking for 0 confirmations beyond that
        needs 1 and says why. A payment that signals RBF always waits for a block.
      </p>
      {v.zero_conf_risk !== 'refuse' && (
        <p role="note" className="warning" data-testid="zero-conf-risk">
          {ZERO_CONF_RISK_TEXT}
        </p>
      )}
      {error && <p role="alert" className="error">{error}</p>}
    </Section>
  );
}

function Fiat({ s }: { s: Settings }) {
  const [currency, setCurrency] = useState(s.fiat.currency);
  const [rate, setRate] = useState(s.fiat.rates[s.fiat.currency] ?? '');
  const [save, error] = useSave();
  return (
    <Section title="Fiat currency and rate">
      <form
        className="form-grid"
        onSubmit={(e) => {
          e.preventDefault();
          void save({ fiat: { currency, rates: rate ? { ...s.fiat.rates, [currency]: rate } : s.fiat.rates } }, 'Fiat');
        }}
      >
        <label>
          Currency
          <input value={currency} onChange={(e) => setCurrency(e.target.value.toUpperCase())} maxLength={8} aria-label="Currency" />
        </label>
        <label>
          Rate ({currency} per 1 BTC)
          <input value={rate} onChange={(e) => setRate(e.target.value)} placeholder="65000.00" aria-label="Rate" inputMode="decimal" />
        </label>
        <button type="submit" className="primary">
          Save
        </button>
      </form>
      <p className="muted">Fiat amounts are converted at this rate when an invoice is created; the rate is stored with the invoice.</p>
      {error && <p role="alert" className="error">{error}</p>}
    </Section>
  );
}

function RefundPolicy({ s }: { s: Settings }) {
  const [text, setText] = useState(s.refund_policy);
  const [save, error] = useSave();
  return (
    <Section title="Refund policy">
      <p className="muted">Shown on every invoice, so customers know how refunds work.</p>
      <textarea rows={3} value={text} maxLength={2000} onChange={(e) => setText(e.target.value)} aria-label="Refund policy" />
      <button type="button" className="primary" onClick={() => void save({ refund_policy: text }, 'Refund policy')}>
        Save
      </button>
      {error && <p role="alert" className="error">{error}</p>}
    </Section>
  );
}

function Electrum({ s }: { s: Settings }) {
  const chain = useConsole((st) => st.sysinfo?.chain);
  const [servers, setServers] = useState(s.electrum.servers.join('\n'));
  const [save, error] = useSave();
  return (
    <Section title="Electrum servers">
      {chain && (
        <p data-testid="electrum-status">
          <span className={`dot ${chain.connected ? 'ok' : 'bad'}`} />{' '}
          {chain.connected ? `Connected to ${chain.server}` : 'Not connected'} · tip {chain.tip_height ?? '—'} ·{' '}
          {chain.synced ? 'synced' : chain.lag_blocks ? `${chain.lag_blocks} blocks behind` : 'not synced'}
          {chain.error && <span className="error"> · {chain.error}</span>}
        </p>
      )}
      <textarea rows={3} value={servers} onChange={(e) => setServers(e.target.value)} aria-label="Electrum servers" placeholder="ssl://electrum.example.org:50002" />
      <p className="muted">One per line: tcp://host:port or ssl://host:port, optionally #sha256-fingerprint to pin a self-signed certificate. Several give failover.</p>
      <button
        type="button"
        className="primary"
        onClick={() =>
          void save(
            {
              electrum: {
                servers: servers
                  .split(/\s+/)
                  .map((x) => x.trim())
                  .filter(Boolean),
              },
            },
            'Electrum servers',
          )
        }
      >
        Save
      </button>
      {error && <p role="alert" className="error">{error}</p>}
    </Section>
  );
}

function AgentForm({ agent, onDone }: { agent?: Agent; onDone: (a: Agent) => void }) {
  const [name, setName] = useState(agent?.name ?? 'shop');
  const [url, setUrl] = useState(agent?.url ?? 'http://127.0.0.1:8000/callback');
  const [format, setFormat] = useState<Agent['format']>(agent?.format ?? 'bitcoinmonitor');
  const [jid, setJid] = useState(agent?.jid ?? '');
  const [thresholds, setThresholds] = useState(agent ? agent.thresholds.join(', ') : '0, 1');
  const [delays, setDelays] = useState(agent ? agent.retry.delays_s.join(', ') : '30, 30, 30, 30, 30');
  const [timeout, setTimeoutS] = useState(String(agent?.timeout_s ?? 10));
  const [error, setError] = useState<string | null>(null);
  const ints = (t: string): number[] =>
    t
      .split(/[\s,]+/)
      .filter(Boolean)
      .map(Number);
  return (
    <form
      className="form-grid"
      onSubmit={(e) => {
        e.preventDefault();
        setError(null);
        const body: Record<string, unknown> = { name, format, retry: { delays_s: ints(delays) }, timeout_s: Number(timeout) };
        if (format === 'xmpp') body.jid = jid;
        else body.url = url;
        if (format !== 'events') body.thresholds = ints(thresholds);
        (agent ? patchAgent(agent.id, body) : createAgent(body)).then((a) => a && onDone(a), (e: unknown) => setError(errorText(e)));
      }}
    >
      <label>
        Name
        <input value={name} onChange={(e) => setName(e.target.value)} aria-label="Agent name" />
      </label>
      {format === 'xmpp' ? (
        <label>
          Jabber ID
          <input value={jid} onChange={(e) => setJid(e.target.value)} aria-label="Agent JID" placeholder="shop@example.org" />
        </label>
      ) : (
        <label>
          URL
          <input value={url} onChange={(e) => setUrl(e.target.value)} aria-label="Agent URL" />
        </label>
      )}
      <label>
        Format
        <select value={format} onChange={(e) => setFormat(e.target.value as Agent['format'])} aria-label="Agent format">
          <option value="bitcoinmonitor">bitcoinmonitor (md5-signed, seed compatible)</option>
          <option value="events">events (JSON invoice events)</option>
          <option value="xmpp">xmpp</option>
        </select>
      </label>
      <label>
        Thresholds (confirmations)
        <input value={thresholds} onChange={(e) => setThresholds(e.target.value)} aria-label="Thresholds" disabled={format === 'events'} />
      </label>
      <label>
        Retry delays (seconds, one per retry)
        <input value={delays} onChange={(e) => setDelays(e.target.value)} aria-label="Retry delays" />
      </label>
      <label>
        Timeout (seconds)
        <input type="number" min={1} max={300} value={timeout} onChange={(e) => setTimeoutS(e.target.value)} aria-label="Timeout" />
      </label>
      <button type="submit" className="primary">
        {agent ? 'Save agent' : 'Add agent'}
      </button>
      {error && <p role="alert" className="error">{error}</p>}
    </form>
  );
}

function Agents() {
  const showToast = useConsole((s) => s.showToast);
  const [agents, setAgents] = useState<Agent[] | null>(null);
  const [revealed, setRevealed] = useState<Record<string, string>>({});
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<string | null>(null);
  const reload = (): void => void listAgents().then(setAgents, () => setAgents([]));
  useEffect(reload, []);
  if (!agentsAvailable())
    return (
      <Section title="Agents (callbacks)">
        <p className="muted">Callbacks are not available in this build yet.</p>
      </Section>
    );
  return (
    <Section title="Agents (callbacks)">
      {agents && agents.length === 0 && <div className="empty-state">No agent yet: add your shop&apos;s callback URL so it hears about every payment.</div>}
      {(agents ?? []).map((a) => (
        <div key={a.id} className="agent" data-agent={a.name}>
          <div>
            <strong>{a.name}</strong> <span className="chip">{a.format}</span> {!a.enabled && <span className="chip flag">disabled</span>}
            <div className="mono small">{a.format === 'xmpp' ? a.jid : a.url}</div>
            <div className="small muted">
              {a.format !== 'events' && `thresholds ${a.thresholds.join(', ')} · `}retries {a.retry.delays_s.join('s, ')}s · timeout {a.timeout_s}s
            </div>
            {revealed[a.id] && (
              <div className="small">
                Token (copy it now, it is shown once): <code>{revealed[a.id]}</code>
              </div>
            )}
          </div>
          {editing === a.id && (
            <AgentForm
              agent={a}
              onDone={() => {
                setEditing(null);
                reload();
              }}
            />
          )}
          <div className="actions">
            <button type="button" onClick={() => setEditing(editing === a.id ? null : a.id)}>
              {editing === a.id ? 'Close' : 'Edit'}
            </button>
            <button type="button" onClick={() => void testAgent(a.id).then(() => showToast('Test callback sent'), (e: unknown) => showToast(errorText(e)))}>
              Test
            </button>
            <button type="button" onClick={() => void rotateToken(a.id).then((r) => r && setRevealed({ ...revealed, [a.id]: r.token }), (e: unknown) => showToast(errorText(e)))}>
              Rotate token
            </button>
            <button type="button" onClick={() => void patchAgent(a.id, { enabled: !a.enabled }).then(reload, (e: unknown) => showToast(errorText(e)))}>
              {a.enabled ? 'Disable' : 'Enable'}
            </button>
            <button type="button" className="danger" onClick={() => void deleteAgent(a.id).then(reload, (e: unknown) => showToast(errorText(e)))}>
              Delete
            </button>
          </div>
        </div>
      ))}
      {adding ? (
        <AgentForm
          onDone={(a) => {
            setAdding(false);
            if (a.token) setRevealed({ ...revealed, [a.id]: a.token });
            reload();
          }}
        />
      ) : (
        <button type="button" onClick={() => setAdding(true)}>
          Add agent
        </button>
      )}
    </Section>
  );
}

function Backup() {
  const [res, setRes] = useState<{ path: string; warning: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  return (
    <Section title="Backup">
      <p className="muted">A consistent copy of the database (invoices, payments, settings, agents) into the data dir.</p>
      <button type="button" onClick={() => void call('backup').then(setRes, (e: unknown) => setError(errorText(e)))}>
        Back up now
      </button>
      {res && (
        <div className="empty-state warn" role="status">
          Saved to <code>{res.path}</code>
          <br />
          {res.warning}
        </div>
      )}
      {error && <p role="alert" className="error">{error}</p>}
    </Section>
  );
}

export function SettingsScreen() {
  const s = useConsole((st) => st.settings);
  const info = useConsole((st) => st.sysinfo);
  useEffect(() => void useConsole.getState().refreshSettings().catch(() => {}), []);
  if (!s) return <p className="loading">Loading settings…</p>;
  return (
    <div className="settings">
      <h1>Settings</h1>
      <Section title="Network">
        <p>
          <strong>{s.network}</strong> <span className="muted">(fixed for this data dir)</span>
        </p>
      </Section>
      <Electrum s={s} />
      <Agents />
      <InvoiceDefaults s={s} />
      <Fiat s={s} />
      <RefundPolicy s={s} />
      <Section title="Local API">
        <p>
          {s.api.enabled ? 'Enabled' : 'Disabled'} · {inElectron() ? `port ${s.api.port}` : `${location.origin}/api/v1`} · loopback only, Bearer token
          required
        </p>
        <p className="muted">Your shop server creates invoices with POST /api/v1/invoices and receives callbacks from the agents above. Version {info?.version}.</p>
      </Section>
      <Backup />
    </div>
  );
}
