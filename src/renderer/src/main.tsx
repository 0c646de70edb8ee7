import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { call, inElectron, setToken, takeTokenFromUrl, ApiError } from './api.ts';
import type { Sysinfo } from '../../shared/contract.ts';

function App() {
  const [token, setTok] = useState<string | null>(() => (inElectron() ? 'ipc' : takeTokenFromUrl()));
  const [info, setInfo] = useState<Sysinfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [draft, setDraft] = useState('');

  useEffect(() => {
    if (!token) return;
    call('sysinfo').then(setInfo, (e: unknown) => {
      if (e instanceof ApiError && e.code === 'unauthorized') setTok(null);
      setError((e as Error).message);
    });
  }, [token]);

  if (!token) {
    return (
      <main style={{ fontFamily: 'system-ui', maxWidth: 520, margin: '10vh auto' }}>
        <h1>Satdesk</h1>
        <p>Paste your API token (printed by <code>satdesk serve</code> as the Console link).</p>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            setToken(draft.trim());
            setError(null);
            setTok(draft.trim());
          }}
        >
          <input aria-label="API token" value={draft} onChange={(e) => setDraft(e.target.value)} style={{ width: '100%' }} />
          <button type="submit">Open console</button>
        </form>
        {error && <p role="alert">{error}</p>}
      </main>
    );
  }
  return (
    <main style={{ fontFamily: 'system-ui', margin: 24 }}>
      <h1>Satdesk</h1>
      {info ? (
        <p>
          {info.network} · {info.addresses.in_use} of {info.addresses.total} addresses in use ·{' '}
          {info.accepting_orders ? 'accepting orders' : 'not accepting orders'}
        </p>
      ) : (
        <p>{error ?? 'Loading…'}</p>
      )}
    </main>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
