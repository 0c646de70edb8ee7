/** Settings: invoice defaults, fiat currency and rate, refund policy, Electrum servers. */
import { useState } from 'react';
import type { Settings } from '../../../../shared/contract.ts';
import { useConsole } from '../../store.ts';
import { ZERO_CONF_RISK_TEXT } from '../../../../core/zeroconf.ts';
import { checkDuration, checkInt, DurationInput, durationOf, Field, NumberInput, parseNumber, secondsOf, type Check } from './fields.tsx';
import { Section, SaveError, useSave } from './shared.tsx';

const LABELS = {
  'invoice.expires_in_s': 'Expires after',
  'invoice.confirmations': 'Confirmations required',
  'invoice.tolerance_pct': 'Underpayment tolerance',
  'invoice.monitoring_s': 'Keep watching after expiry',
  'invoice.zero_conf_limit_sats': '0-conf limit',
  'invoice.zero_conf_risk': 'Unconfirmed payments',
  'fiat.currency': 'Currency',
  refund_policy: 'Refund policy',
  'electrum.servers': 'Electrum servers',
};

export function InvoiceDefaults({ s }: { s: Settings }) {
  const [expires, setExpires] = useState(durationOf(s.invoice.expires_in_s));
  const [monitoring, setMonitoring] = useState(durationOf(s.invoice.monitoring_s));
  const [confs, setConfs] = useState(String(s.invoice.confirmations));
  const [tolerance, setTolerance] = useState(String(s.invoice.tolerance_pct));
  const [cap, setCap] = useState(String(s.invoice.zero_conf_limit_sats));
  const [risk, setRisk] = useState(s.invoice.zero_conf_risk);
  const [tried, setTried] = useState(false);
  const [save, error] = useSave(LABELS);
  const tol = parseNumber(tolerance, { decimals: 2 });
  const errors: Record<string, Check> = {
    expires: checkDuration(expires, 60, 30 * 86_400),
    monitoring: checkDuration(monitoring, 0, 365 * 86_400),
    confs: checkInt(confs, 0, 100),
    tolerance: tol === null ? (tolerance.trim() ? 'Type a percentage with at most 2 decimals, e.g. 0.5.' : 'Enter a percentage: an empty field is not zero.') : tol > 100 ? 'At most 100 %.' : null,
    cap: checkInt(cap, 0, 2_100_000_000_000_000, 'an amount in sats'),
  };
  const bad = Object.values(errors).some(Boolean);
  const show = (k: string): Check => (tried || errors[k] !== 'Enter a number: an empty field is not zero.' ? errors[k]! : null);
  return (
    <Section title="Invoice defaults">
      <form
        className="form-grid"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          setTried(true);
          if (bad) return;
          void save(
            {
              invoice: {
                expires_in_s: secondsOf(expires),
                monitoring_s: secondsOf(monitoring),
                confirmations: Number(confs),
                tolerance_pct: tol,
                zero_conf_limit_sats: Number(cap),
                zero_conf_risk: risk,
              },
            },
            'Invoice defaults',
          );
        }}
      >
        <DurationInput label="Expires after" value={expires} onChange={setExpires} error={show('expires')} hint="How long a customer has to pay." />
        <NumberInput label="Confirmations required" value={confs} onChange={setConfs} error={show('confs')} hint="0 accepts unconfirmed payments (in-person sales)." />
        <NumberInput label="Underpayment tolerance" value={tolerance} onChange={setTolerance} error={show('tolerance')} suffix="%" decimals={2} />
        <DurationInput label="Keep watching after expiry" value={monitoring} onChange={setMonitoring} error={show('monitoring')} hint="A payment seen this late still counts (flagged late)." />
        <NumberInput
          label="0-conf limit"
          value={cap}
          onChange={setCap}
          error={show('cap')}
          suffix="sats"
          hint="The largest invoice that may settle on an unconfirmed payment. 0 = 0-conf is off."
        />
        <Field label="Unconfirmed payments" error={null}>
          {(id) => (
            <select id={id} value={risk} onChange={(e) => setRisk(e.target.value as Settings['invoice']['zero_conf_risk'])}>
              <option value="refuse">Never count them (wait for a block)</option>
              <option value="accept">I accept the risk: count them up to the limit</option>
              <option value="accept_unconfirmed_parents">…also when their parent is unconfirmed</option>
            </select>
          )}
        </Field>
        <button type="submit" className="primary">
          Save
        </button>
      </form>
      <p className="hint">
        0-conf needs both a limit above 0 and the risk accepted; an invoice asking for 0 confirmations beyond that needs 1 and says why. A payment that
        signals RBF always waits for a block.
      </p>
      {risk !== 'refuse' && (
        <p role="note" className="warning" data-testid="zero-conf-risk">
          {ZERO_CONF_RISK_TEXT}
        </p>
      )}
      <SaveError error={error} />
    </Section>
  );
}

export function RefundPolicy({ s }: { s: Settings }) {
  const [text, setText] = useState(s.refund_policy);
  const [save, error] = useSave(LABELS);
  return (
    <Section title="Refund policy">
      <p className="muted" id="refund-hint">
        Shown on every invoice, on the customer display and on receipts, so customers know how refunds work.
      </p>
      <textarea rows={3} value={text} maxLength={2000} onChange={(e) => setText(e.target.value)} aria-label="Refund policy" aria-describedby="refund-hint" />
      <button type="button" className="primary" onClick={() => void save({ refund_policy: text }, 'Refund policy')}>
        Save
      </button>
      <SaveError error={error} />
    </Section>
  );
}

export function Electrum({ s }: { s: Settings }) {
  const chain = useConsole((st) => st.sysinfo?.chain);
  const override = useConsole((st) => st.sysinfo?.overrides.find((o) => o.setting === 'electrum.servers'));
  const [servers, setServers] = useState(s.electrum.servers.join('\n'));
  const [save, error] = useSave(LABELS);
  return (
    <Section title="Electrum servers">
      {chain && (
        <p data-testid="electrum-status">
          <span className={`dot ${chain.connected ? 'ok' : 'bad'}`} /> {chain.connected ? `Connected to ${chain.server}` : 'Not connected'} · tip{' '}
          {chain.tip_height ?? '—'} · {chain.synced ? 'synced' : chain.lag_blocks ? `${chain.lag_blocks} blocks behind` : 'not synced'}
          {chain.error && <span className="error"> · {chain.error}</span>}
        </p>
      )}
      {override && (
        <div className="empty-state warn" role="note" data-testid="override-note">
          <strong>The command line decides the servers for this run:</strong> {override.flag} {override.value}. The list below is used when Satdesk
          starts without {override.flag}.
        </div>
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
      <SaveError error={error} />
    </Section>
  );
}
