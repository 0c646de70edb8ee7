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
export function qrUri(inv: Pick<Invoice, 'status' | 'missing_sats' | 'address' | 'label' | 'bip21'>): string {
  return inv.status === 'partial' && inv.missing_sats > 0 ? bip21(inv.address, inv.missing_sats, inv.label || undefined) : inv.bip21;
}

const FIAT_FMT = new Map<string, Intl.NumberFormat>();

/**
 * A fiat decimal string in its currency's form: fmtFiat("12.5", "USD") → "$12.50", "1500" JPY → "¥1,500". The
 * string goes to Intl as a string (exact decimal, never a float); an unknown code falls back to "12.50 XYZ".
 */
export function fmtFiat(amount: string, currency: string): string {
  let f = FIAT_FMT.get(currency);
  if (!f) {
    try {
      f = new Intl.NumberFormat('en-US', { style: 'currency', currency });
    } catch {
      return `${amount} ${currency}`;
    }
    FIAT_FMT.set(currency, f);
  }
  return f.format(amount as unknown as number);
}

/** The invoice's headline amount: its fiat amount when it was sold in fiat, else BTC. */
export function heroAmount(inv: { fiat: { amount: string; currency: string } | null; amount_sats: number }): string {
  return inv.fiat ? fmtFiat(inv.fiat.amount, inv.fiat.currency) : `${formatBtc(inv.amount_sats)} BTC`;
}

/** The part of an invoice still to pay, in its fiat currency at the invoice's rate when it has one. */
export function remainingText(inv: { fiat: { currency: string; rate: string } | null; missing_sats: number }): string {
  return inv.fiat ? fmtFiat(fiatOf(inv.missing_sats, inv.fiat.rate)!.replace(/,/g, ''), inv.fiat.currency) : `${formatBtc(inv.missing_sats)} BTC`;
}

/** Loopback and file:// origins cannot be opened from a customer's phone: no receipt QR there. */
export function reachableFromPhones(): boolean {
  const { protocol, hostname } = window.location;
  if (protocol !== 'http:' && protocol !== 'https:') return false;
  return !/^(localhost|127\.\d+\.\d+\.\d+|\[::1\]|::1)$/.test(hostname);
}

/** What goes around a typed number in a currency: USD → {prefix: "$", suffix: ""}, EUR (en-US) → "€", CHF → "CHF ". */
export function currencyAffix(currency: string): { prefix: string; suffix: string } {
  try {
    const parts = new Intl.NumberFormat('en-US', { style: 'currency', currency }).formatToParts(1);
    const numeric = (t: string): boolean => t === 'integer' || t === 'decimal' || t === 'fraction' || t === 'group';
    const first = parts.findIndex((p) => numeric(p.type));
    const last = parts.length - 1 - [...parts].reverse().findIndex((p) => numeric(p.type));
    return { prefix: parts.slice(0, first).map((p) => p.value).join(''), suffix: parts.slice(last + 1).map((p) => p.value).join('') };
  } catch {
    return { prefix: '', suffix: ` ${currency}` };
  }
}
