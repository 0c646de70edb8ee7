/**
 * One invoice kept live on the seller's screen. The owner's console gets every change from the event stream
 * (store.ts). A cashier may not read that stream, so it follows its till through the same long poll the customer
 * display uses, re-reading the invoice whenever the till's state moves (and every few seconds when the invoice is
 * not the till's current sale).
 */
import { useEffect, useState } from 'react';
import type { Invoice } from '../../shared/contract.ts';
import { call } from './api.ts';
import { useConsole } from './store.ts';
import { errorText } from './format.ts';

export function useLiveInvoice(id: string): [Invoice | null, string | null] {
  const inv = useConsole((s) => s.invoices[id] ?? null);
  const role = useConsole((s) => s.me?.role);
  const tillId = useConsole((s) => s.tillId);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    call('getInvoice', { params: { id } }).then(
      (fresh) => {
        const known = useConsole.getState().invoices[id];
        // An event may have brought a newer view while this request was in flight.
        if (!known || known.status === fresh.status) useConsole.getState().setInvoice(fresh);
      },
      (e: unknown) => setError(errorText(e)),
    );
  }, [id]);
  useEffect(() => {
    if (role !== 'cashier') return;
    let stopped = false;
    let version: string | undefined;
    const abort = new AbortController();
    const reread = (): Promise<void> => call('getInvoice', { params: { id } }).then((v) => useConsole.getState().setInvoice(v));
    void (async () => {
      while (!stopped) {
        try {
          if (tillId) {
            const st = await call('displayState', { query: { till: tillId, ...(version ? { after: version } : {}) }, signal: abort.signal });
            version = st.version;
            if (stopped) return;
            await reread();
            if (st.sale?.id === id) continue;
          } else await reread();
        } catch {
          // The server restarting: wait and try again.
        }
        await new Promise((r) => setTimeout(r, 3000));
      }
    })();
    return () => {
      stopped = true;
      abort.abort();
    };
  }, [role, id, tillId]);
  return [inv, error];
}
