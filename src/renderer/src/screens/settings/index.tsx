/** Settings: network, Electrum servers, agents, invoice defaults, fiat, refund policy, the counter, tills, devices, history kept, backup. */
import { useEffect, useState } from 'react';
import { call, inElectron } from '../../api.ts';
import { useConsole } from '../../store.ts';
import { errorText } from '../../format.ts';
import { Section } from './shared.tsx';
import { Electrum, InvoiceDefaults, RefundPolicy } from './general.tsx';
import { RatesSettings } from '../../rates/RatesSettings.tsx';
import { Agents } from './agents.tsx';
import { CounterSettings, Tills } from './counter.tsx';
import { Devices } from './devices.tsx';
import { Retention } from './retention.tsx';

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
      <nav className="settings-toc" aria-label="Settings sections">
        <a href="#/settings" onClick={(e) => (e.preventDefault(), document.getElementById('counter')?.scrollIntoView())}>
          Counter
        </a>
        <a href="#/settings" onClick={(e) => (e.preventDefault(), document.getElementById('devices')?.scrollIntoView())}>
          Devices
        </a>
      </nav>
      <Section title="Network">
        <p>
          <strong>{s.network}</strong> <span className="muted">(fixed for this data dir)</span>
        </p>
      </Section>
      <Electrum s={s} />
      <InvoiceDefaults s={s} />
      <RatesSettings s={s} />
      <RefundPolicy s={s} />
      <CounterSettings s={s} />
      <Tills />
      <Devices />
      <Agents />
      <Retention s={s} />
      <Section title="Local API">
        <p>
          {s.api.enabled ? 'Enabled' : 'Disabled'} · {inElectron() ? `port ${s.api.port}` : `${location.origin}/api/v1`} · Bearer token required
        </p>
        <p className="muted">Your shop server creates invoices with POST /api/v1/invoices and receives callbacks from the agents above. Version {info?.version}.</p>
      </Section>
      <Backup />
    </div>
  );
}
