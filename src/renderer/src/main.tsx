import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { call, inElectron, redeemLoginCode, setToken, takeTokenFromUrl, ApiError } from './api.ts';
import { startLive, useConsole } from './store.ts';
import { useRoute, navigate } from './router.ts';
import { SellScreen } from './screens/Sell.tsx';
import { CustomerDisplay } from './screens/Customer.tsx';
import { InvoicesScreen } from './screens/Invoices.tsx';
import { InvoiceDetail } from './screens/InvoiceDetail.tsx';
import { NotificationsScreen } from './screens/Notifications.tsx';
import { AddressesScreen } from './screens/Addresses.tsx';
import { SettingsScreen } from './screens/Settings.tsx';
import { StatusBar } from './screens/StatusBar.tsx';
import './styles.css';

function TokenScreen({ error, onToken }: { error: string | null; onToken: (t: string) => void }) {
  const [draft, setDraft] = useState('');
  return (
    <main className="token-screen">
      <h1>Satdesk</h1>
      <p>
        Paste your API token to open the console. It is in the data dir&apos;s <code>api-token</code> file;{' '}
        <code>satdesk serve</code> also prints a one-time <code>Console:</code> link at every start.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (draft.trim()) onToken(draft.trim());
        }}
      >
        <input aria-label="API token" autoFocus placeholder="API token" value={draft} onChange={(e) => setDraft(e.target.value)} />
        <button type="submit" className="primary">
          Open console
        </button>
      </form>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </main>
  );
}

const NAV: [string, string][] = [
  ['sell', 'Sell'],
  ['invoices', 'Invoices'],
  ['notifications', 'Notifications'],
  ['addresses', 'Addresses'],
  ['settings', 'Settings'],
];

function Shell() {
  const route = useRoute();
  const toast = useConsole((s) => s.toast);
  const outbox = useConsole((s) => s.sysinfo?.outbox);
  const transportWarning = useConsole((s) => s.sysinfo?.chain.transport_warning ?? null);
  useEffect(() => startLive(), []);
  if (route.screen === 'customer') return <CustomerDisplay />;
  let body;
  switch (route.screen) {
    case 'invoices':
      body = route.id ? <InvoiceDetail id={route.id} /> : <InvoicesScreen />;
      break;
    case 'notifications':
      body = <NotificationsScreen />;
      break;
    case 'addresses':
      body = <AddressesScreen />;
      break;
    case 'settings':
      body = <SettingsScreen />;
      break;
    default:
      body = <SellScreen invoiceId={route.id} />;
  }
  return (
    <div className="shell">
      <nav className="sidebar" aria-label="Main">
        <div className="brand">Satdesk</div>
        {NAV.map(([k, label]) => (
          <a key={k} href={`#/${k}`} className={route.screen === k ? 'active' : ''} aria-current={route.screen === k ? 'page' : undefined}>
            {label}
            {k === 'notifications' && outbox && outbox.failure > 0 && (
              <span className="badge bad" title="failed deliveries">
                {outbox.failure}
              </span>
            )}
          </a>
        ))}
      </nav>
      <main className="content" data-screen={route.screen}>
        {transportWarning && (
          <p role="alert" className="warning banner" data-testid="transport-warning">
            {transportWarning}
          </p>
        )}
        {body}
      </main>
      <StatusBar />
      {toast && (
        <div className="toast" role="status">
          {toast}
        </div>
      )}
    </div>
  );
}

function App() {
  const [token, setTok] = useState<string | null>(() => (inElectron() ? 'ipc' : takeTokenFromUrl()));
  const [error, setError] = useState<string | null>(null);
  const [loggingIn, setLoggingIn] = useState(() => !inElectron() && new URLSearchParams(location.search).has('login'));

  useEffect(() => {
    if (!loggingIn) return;
    redeemLoginCode().then(
      (t) => {
        if (t) setTok(t);
        setLoggingIn(false);
      },
      (e: unknown) => {
        setError(e instanceof Error ? e.message : String(e));
        setLoggingIn(false);
      },
    );
  }, [loggingIn]);

  useEffect(() => {
    if (!token) return;
    let gone = false;
    // Checked in parallel with the first screen's own requests: a wrong token comes back to this screen.
    call('sysinfo').then(
      () => {},
      (e: unknown) => {
        if (gone) return;
        if (e instanceof ApiError && e.code === 'unauthorized') {
          sessionStorage.removeItem('satdesk.token');
          setTok(null);
          setError('That token was not accepted. Check it and paste it again.');
        }
      },
    );
    return () => {
      gone = true;
    };
  }, [token]);

  if (loggingIn) return null;
  if (!token)
    return (
      <TokenScreen
        error={error}
        onToken={(t) => {
          setToken(t);
          setError(null);
          setTok(t);
        }}
      />
    );
  return <Shell />;
}

if (!location.hash) navigate('sell');

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
