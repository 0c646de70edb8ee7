import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { call, forgetTokens, inElectron, redeemLoginCode, setToken, takeTokenFromUrl, ApiError } from './api.ts';
import { useRoute, navigate } from './router.ts';
import { Shell } from './Shell.tsx';
import { useConsole } from './store.ts';
import { PairScreen } from './screens/Pair.tsx';
import { PublicReceipt } from './screens/Receipt.tsx';
import './styles.css';
import './counter.css';
import { ErrorText } from './ErrorText.tsx';

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
      <ErrorText error={error} />
    </main>
  );
}

function App() {
  const route = useRoute();
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
    call('whoami').then(
      () => {},
      (e: unknown) => {
        if (gone) return;
        if (e instanceof ApiError && e.code === 'unauthorized') {
          forgetTokens();
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
  // A customer's receipt link needs no token; pairing a device makes one.
  if (route.screen === 'r' && route.id) return <PublicReceipt receiptKey={route.id} />;
  if (route.screen === 'pair') return <PairScreen code={route.id} onPaired={(t) => setTok(t)} />;
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

// The e2e suite reaches the console's state to prove a broken screen is contained (localStorage opt-in only).
if (localStorage.getItem('satdesk.debug') === '1') (window as unknown as { satdeskDebug: unknown }).satdeskDebug = { useConsole };

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
