/**
 * The console's frame: navigation (a sidebar on wide screens, a top bar on phones), one error boundary per screen,
 * the status bar and the toast. What a role sees: the owner everything; a cashier the Sell screen and today's
 * sales; a display only the customer display.
 */
import { useEffect } from 'react';
import { forgetTokens } from './api.ts';
import { startLive, useConsole } from './store.ts';
import { useRoute } from './router.ts';
import { ErrorBoundary } from './ErrorBoundary.tsx';
import { SellScreen } from './screens/Sell.tsx';
import { CustomerDisplay } from './screens/Customer.tsx';
import { InvoicesScreen } from './screens/Invoices.tsx';
import { InvoiceDetail } from './screens/InvoiceDetail.tsx';
import { TodayScreen } from './screens/Today.tsx';
import { NotificationsScreen } from './screens/Notifications.tsx';
import { AddressesScreen } from './screens/Addresses.tsx';
import { SettingsScreen } from './screens/Settings.tsx';
import { SellerReceipt } from './screens/Receipt.tsx';
import { StatusBar } from './screens/StatusBar.tsx';

/** [route, label, short label for phones]. */
const OWNER_NAV: [string, string, string][] = [
  ['sell', 'Sell', 'Sell'],
  ['invoices', 'Invoices', 'Invoices'],
  ['today', 'Today', 'Today'],
  ['notifications', 'Notifications', 'Callbacks'],
  ['addresses', 'Addresses', 'Wallet'],
  ['settings', 'Settings', 'Settings'],
];
const CASHIER_NAV: [string, string, string][] = [
  ['sell', 'Sell', 'Sell'],
  ['invoices', 'Today\u2019s sales', 'Today'],
];

function Screen({ screen, id, owner }: { screen: string; id: string | null; owner: boolean }) {
  switch (screen) {
    case 'invoices':
      return id ? <InvoiceDetail id={id} /> : <InvoicesScreen />;
    case 'receipt':
      return id ? <SellerReceipt id={id} /> : <SellScreen invoiceId={null} />;
    case 'today':
      return <TodayScreen />;
    case 'notifications':
      return owner ? <NotificationsScreen /> : <NotForYou />;
    case 'addresses':
      return owner ? <AddressesScreen /> : <NotForYou />;
    case 'settings':
      return owner ? <SettingsScreen /> : <NotForYou />;
    default:
      return <SellScreen invoiceId={screen === 'sell' ? id : null} />;
  }
}

function NotForYou() {
  return (
    <section>
      <h1>Owner only</h1>
      <p>This device sells; settings, wallet and callbacks belong to the owner&apos;s console.</p>
      <a className="button primary" href="#/sell">
        New sale
      </a>
    </section>
  );
}

export function Shell() {
  const route = useRoute();
  const toast = useConsole((s) => s.toast);
  const outbox = useConsole((s) => s.sysinfo?.outbox);
  const transportWarning = useConsole((s) => s.sysinfo?.chain.transport_warning ?? null);
  // Why nothing is getting paid (a refused chain), and what two servers disagree on (docs/trust.md).
  const refused = useConsole((s) => (s.sysinfo?.chain.headers?.state === 'refused' ? s.sysinfo.chain.headers.reason : null));
  const alert = useConsole((s) => s.sysinfo?.chain.cross_check?.alerts.at(-1)?.message ?? null);
  const me = useConsole((s) => s.me);
  const tillName = useConsole((s) => s.tills.find((t) => t.id === s.tillId)?.name);
  useEffect(() => startLive(), []);
  if (me?.role === 'display') return <CustomerDisplay till={null} />;
  if (route.screen === 'customer') return <CustomerDisplay till={route.id} />;
  const owner = me?.role !== 'cashier';
  const nav = owner ? OWNER_NAV : CASHIER_NAV;
  const active = route.screen === 'receipt' ? 'sell' : route.screen;
  return (
    <div className="shell" data-role={me?.role ?? 'unknown'}>
      <header className="topbar">
        <div className="brand">Satdesk</div>
        <nav className="nav" aria-label="Main">
          {nav.map(([k, label, short]) => (
            <a key={k} href={`#/${k}`} className={active === k ? 'active' : ''} aria-current={active === k ? 'page' : undefined}>
              <span className="nav-long">{label}</span>
              <span className="nav-short">{short}</span>
              {k === 'notifications' && outbox && outbox.failure > 0 && (
                <span className="badge bad" title="failed deliveries">
                  {outbox.failure}
                </span>
              )}
            </a>
          ))}
        </nav>
        {me && me.role !== 'owner' && (
          <div className="device">
            <span className="small muted">
              {me.name}
              {tillName ? ` · ${tillName}` : ''}
            </span>
            <button
              type="button"
              className="small"
              onClick={() => {
                forgetTokens();
                location.hash = '#/sell';
                location.reload();
              }}
            >
              Sign out
            </button>
          </div>
        )}
      </header>
      <main className="content" data-screen={route.screen}>
        {transportWarning && (
          <p role="alert" className="warning banner" data-testid="transport-warning">
            {transportWarning}
          </p>
        )}
        {refused && (
          <p role="alert" className="warning banner" data-testid="chain-refused">
            Chain refused — nothing is counted until a server proves its chain: {refused}
          </p>
        )}
        {alert && (
          <p role="alert" className="warning banner" data-testid="chain-alert">
            Servers disagree: {alert}
          </p>
        )}
        <ErrorBoundary resetKey={`${route.screen}/${route.id ?? ''}`}>
          <Screen screen={route.screen} id={route.id} owner={owner} />
        </ErrorBoundary>
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
