/**
 * Pairing a till or customer display (docs/counter.md): the owner's console shows a one-time code and a QR of
 * `…/#/pair/<code>`; this screen trades the code for the device's own token, keeps it on this device, and opens
 * the screen the role is for. The code works once, for 10 minutes.
 */
import { useEffect, useState } from 'react';
import { call, setDeviceToken } from '../api.ts';
import { errorText } from '../format.ts';
import { ErrorText } from '../ErrorText.tsx';

export function PairScreen({ code: link, onPaired }: { code: string | null; onPaired: (token: string) => void }) {
  // `…/#/pair/<code>?fp=<sha256>`: the link from `serve --lan` carries the certificate's fingerprint.
  const [initial, query] = (link ?? '').split('?');
  const fp = new URLSearchParams(query ?? '').get('fp');
  const [code, setCode] = useState(initial ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const pair = async (c: string): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      const r = await call('pair', { body: { code: c } });
      setDeviceToken(r.token);
      location.hash = r.role === 'display' ? `#/customer` : '#/sell';
      onPaired(r.token);
    } catch (e) {
      setError(errorText(e));
      setBusy(false);
    }
  };
  useEffect(() => {
    if (initial) void pair(initial);
    // Once, for the code in the link.
  }, []);

  return (
    <main className="token-screen">
      <h1>Pair this device</h1>
      <p>Type the code shown in the owner&apos;s console under Settings → Devices.</p>
      {fp && (
        <p className="small">
          This Satdesk&apos;s certificate (SHA-256): <code className="wrap">{fp.match(/.{2}/g)?.join(':')}</code>. If your browser warned about the
          connection, check that its certificate shows this fingerprint before you go on.
        </p>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (code.trim()) void pair(code.trim());
        }}
      >
        <input aria-label="Pairing code" autoFocus placeholder="ABCD-EFGH" value={code} onChange={(e) => setCode(e.target.value)} autoCapitalize="characters" />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Pairing…' : 'Pair'}
        </button>
      </form>
      <ErrorText error={error} />
    </main>
  );
}
