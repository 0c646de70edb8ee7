/** Settings: agents (callback endpoints). Delete and token rotation ask first; a new token has a Copy button. */
import { useEffect, useState } from 'react';
import { useConsole } from '../../store.ts';
import { errorText } from '../../format.ts';
import { useConfirm } from '../../Dialog.tsx';
import type { Agent } from '../../../../shared/contract.ts';
import { call } from '../../api.ts';
import { CopyButton, humanError, parseNumber } from './fields.tsx';
import { Section } from './shared.tsx';

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
  // Said in words before anything is sent: an empty field is never taken as 0.
  const check = (): string | null => {
    if (!name.trim()) return 'Name: give the agent a name, e.g. shop.';
    if (format !== 'events' && !/^\s*\d+(\s*[,\s]\s*\d+)*\s*$/.test(thresholds)) return 'Thresholds: whole numbers of confirmations, e.g. 0, 1, 6.';
    if (delays.trim() && !/^\s*\d+(\s*[,\s]\s*\d+)*\s*$/.test(delays)) return 'Retry delays: whole seconds, one per retry, e.g. 30, 30, 30.';
    const t = parseNumber(timeout, { integer: true });
    if (t === null || t < 1 || t > 300) return 'Timeout: whole seconds from 1 to 300.';
    return null;
  };
  return (
    <form
      className="form-grid"
      onSubmit={(e) => {
        e.preventDefault();
        const problem = check();
        setError(problem);
        if (problem) return;
        const body: Record<string, unknown> = { name, format, retry: { delays_s: ints(delays) }, timeout_s: Number(timeout) };
        if (format === 'xmpp') body.jid = jid;
        else body.url = url;
        if (format !== 'events') body.thresholds = ints(thresholds);
        (agent ? call('patchAgent', { params: { id: agent.id }, body }) : call('createAgent', { body })).then(
          onDone,
          (e: unknown) => setError(humanError(errorText(e), { name: 'Name', url: 'URL', thresholds: 'Thresholds', 'retry.delays_s': 'Retry delays', timeout_s: 'Timeout', jid: 'Jabber ID' })),
        );
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

export function Agents() {
  const showToast = useConsole((s) => s.showToast);
  const [agents, setAgents] = useState<Agent[] | null>(null);
  const [revealed, setRevealed] = useState<Record<string, string>>({});
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<string | null>(null);
  const [ask, dialog] = useConfirm();
  const reload = (): void => void call('listAgents').then((r) => setAgents(r.agents), () => setAgents([]));
  useEffect(reload, []);
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
              <div className="small token-reveal" role="status">
                Token (copy it now, it is shown once): <code>{revealed[a.id]}</code>{' '}
                <CopyButton text={revealed[a.id]!} what="token" onCopied={(ok) => showToast(ok ? 'Token copied' : 'Copy failed')} />
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
            <button type="button" onClick={() => void call('testAgent', { params: { id: a.id } }).then(() => showToast('Test callback sent'), (e: unknown) => showToast(errorText(e)))}>
              Test
            </button>
            <button
              type="button"
              onClick={() =>
                ask({
                  title: `Rotate the token of ${a.name}?`,
                  children: <p>Every callback from now on, retries included, is signed with the new token: update your shop&apos;s receiver right away.</p>,
                  confirmLabel: 'Rotate token',
                  danger: true,
                  onConfirm: () =>
                    call('rotateAgentToken', { params: { id: a.id } }).then((r) => {
                      setRevealed({ ...revealed, [a.id]: r.token });
                    }),
                })
              }
            >
              Rotate token
            </button>
            <button type="button" onClick={() => void call('patchAgent', { params: { id: a.id }, body: { enabled: !a.enabled } }).then(reload, (e: unknown) => showToast(errorText(e)))}>
              {a.enabled ? 'Disable' : 'Enable'}
            </button>
            <button
              type="button"
              className="danger"
              onClick={() =>
                ask({
                  title: `Delete the agent ${a.name}?`,
                  children: <p>Your shop stops hearing about payments at {a.format === 'xmpp' ? a.jid : a.url}. Its delivery log stays.</p>,
                  confirmLabel: 'Delete agent',
                  cancelLabel: 'Keep it',
                  danger: true,
                  onConfirm: () => call('deleteAgent', { params: { id: a.id } }).then(reload),
                })
              }
            >
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
      {dialog}
    </Section>
  );
}

