/**
 * Downloading the books' CSV files (docs/books.md#exports) with the list's filter. In a browser the file streams from
 * the API straight into a Blob (the server writes it as it reads, the browser keeps it, no JavaScript string holds a
 * year of sales); inside Electron the IPC answers the text.
 */
import { API_PREFIX, contract } from '../../shared/contract.ts';
import { ApiError, call, currentToken, inElectron } from './api.ts';

export type ExportKind = 'exportInvoices' | 'exportPayments';
export type ExportQuery = Record<string, string | undefined>;

export function exportFileName(kind: ExportKind, q: ExportQuery): string {
  const base = kind === 'exportInvoices' ? 'invoices' : 'payments';
  const range = q.from ? `-${q.from}${q.to && q.to !== q.from ? `_${q.to}` : ''}` : '';
  return `${base}${range}.csv`;
}

export async function exportBlob(kind: ExportKind, q: ExportQuery): Promise<Blob> {
  if (inElectron()) return new Blob([await call(kind, { query: q })], { type: 'text/csv' });
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') qs.set(k, v);
  const token = currentToken();
  const res = await fetch(`${API_PREFIX}${contract[kind].http.path}${qs.size ? `?${qs}` : ''}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  if (!res.ok) {
    const json = (await res.json().catch(() => ({}))) as { error?: { code: string; message: string } };
    throw new ApiError(json.error?.code ?? 'internal', json.error?.message ?? res.statusText, res.status);
  }
  return res.blob();
}

export async function downloadExport(kind: ExportKind, q: ExportQuery): Promise<void> {
  const url = URL.createObjectURL(await exportBlob(kind, q));
  const a = document.createElement('a');
  a.href = url;
  a.download = exportFileName(kind, q);
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
