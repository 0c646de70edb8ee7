/** Display helpers. Amounts are integer sats; BTC strings come from core (never float BTC arithmetic). */
import { bip21, formatBtc } from '../../core/money.ts';
import type { Invoice } from '../../shared/contract.ts';

export { formatBtc };

export const fmtSats = (n: number): string => `${n.toLocaleString('en-US')} sats`;

/** sats × rate / 1e8 for display only, to 2 decimals, computed on integers. */
export function fiatOf(sats: number, rate: string | undefined): string | null {
  if (!rate) return null;
  const [i = '0', f = ''] = rate.split('.');
  const rateMilli = BigInt(i) * 100_000_000n + BigInt((f + '00000000').slice(0, 8));
  const cents = (BigInt(sats) * rateMilli + 5n * 10n ** 13n) / 10n ** 14n;
  const s = cents.toString().padStart(3, '0');
  return `${Number(s.slice(0, -2)).toLocaleString('en-US')}.${s.slice(-2)}`;
}

// One formatter each, made once: Intl formatters are costly to build and the invoices list formats a row per frame.
const DATE_FMT = new Intl.DateTimeFormat(undefined, { month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
const DATE_FMT_YEAR = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false });
const THIS_YEAR = new Date().getFullYear();

export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return (d.getFullYear() === THIS_YEAR ? DATE_FMT : DATE_FMT_YEAR).format(d);
}

export function fmtCountdown(ms: number): string {
  if (ms <= 0) return '0:00';
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

export const STATUS_LABEL: Record<Invoice['status'], string> = {
  unpaid: 'Unpaid',
  partial: 'Partially paid',
  paid: 'Paid',
  confirmed: 'Confirmed',
  expired: 'Expired',
  invalid: 'Invalid',
  cancelled: 'Cancelled',
};

export const short = (s: string, n = 8): string => (s.length > n * 2 + 1 ? `${s.slice(0, n)}…${s.slice(-n)}` : s);

export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Clipboard API refused (insecure context or no permission): fall back to a selected textarea.
    const ta = document.createElement('textarea');
    ta.value = text;
    document.body.appendChild(ta);
    ta.select();
    const ok = document.execCommand('copy');
    ta.remove();
    return ok;
  }
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** What the QR asks for: the whole amount, or after a partial payment only what is still missing. */
export function qrUri(inv: Invoice): string {
  return inv.status === 'partial' && inv.missing_sats > 0 ? bip21(inv.address, inv.missing_sats, inv.label || undefined) : inv.bip21;
}
