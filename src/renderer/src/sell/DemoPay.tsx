/** Demo mode only (`satdesk demo`): buttons that pay the invoice through the sandbox chain and mine blocks. */
import { useState } from 'react';
import type { Invoice } from '../../../shared/contract.ts';
import { demoCall } from '../api.ts';
import { useConsole } from '../store.ts';
import { errorText } from '../format.ts';

export function DemoPayControls({ invoice }: { invoice: Invoice }) {
  const demo = useConsole((s) => s.demo);
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState<string | null>(null);
  if (!demo) return null;
  const run = async (what: string, body: unknown): Promise<void> => {
    setBusy(true);
    setMsg(null);
    try {
      const r = await demoCall<{ txid?: string; height?: number }>(what, body);
      setMsg(r.txid ? `Sent ${r.txid.slice(0, 12)}…` : `Mined to height ${r.height}`);
    } catch (e) {
      setMsg(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  const open = invoice.status === 'unpaid' || invoice.status === 'partial' || invoice.status === 'expired';
  return (
    <div className="demo-controls" role="group" aria-label="Simulate payment">
      <span className="demo-tag">Sandbox</span>
      {open && (
        <>
          <button type="button" disabled={busy} onClick={() => void run('pay', { invoice_id: invoice.id, kind: 'full' })}>
            Simulate: pay in full
          </button>
          <button type="button" disabled={busy} onClick={() => void run('pay', { invoice_id: invoice.id, kind: 'partial' })}>
            Simulate: pay part
          </button>
          <button type="button" disabled={busy} onClick={() => void run('pay', { invoice_id: invoice.id, kind: 'over' })}>
            Simulate: overpay
          </button>
          {invoice.status === 'partial' && (
            <button type="button" disabled={busy} onClick={() => void run('pay', { invoice_id: invoice.id, kind: 'rest' })}>
              Simulate: pay the rest
            </button>
          )}
        </>
      )}
      <button type="button" disabled={busy} onClick={() => void run('mine', { blocks: 1 })}>
        Mine a block
      </button>
      {msg && <span className="demo-msg">{msg}</span>}
    </div>
  );
}
