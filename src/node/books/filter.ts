/**
 * The invoice filter the console's list shows (status and search) as SQL, shared by the list, its totals and the
 * exports, so "Export" writes exactly the invoices the screen is filtered to (docs/books.md#exports).
 */
import { SatdeskError } from '../../core/errors.ts';
import type { InvoiceStatus } from '../../core/vocabulary.ts';
import { addressArgs, addressMatch, statusIs, txidIs } from '../store/chain-sql.ts';

export interface InvoiceFilter {
  status?: InvoiceStatus | undefined;
  q?: string | undefined;
}

/** A WHERE fragment on the invoices table under `alias`, with its named parameters; '1' when nothing filters. */
export function invoiceWhere(f: InvoiceFilter, alias = 'i'): { sql: string; args: Record<string, string> } {
  const parts: string[] = [];
  const args: Record<string, string> = {};
  if (f.status) {
    parts.push(statusIs(`${alias}.status`, '@f_status', f.status));
    args.f_status = f.status;
  }
  const term = f.q?.trim();
  if (term) {
    if (term.length > 200) throw new SatdeskError('invalid_request', 'q is at most 200 characters');
    if (/^[0-9a-fA-F]{64}$/.test(term)) {
      parts.push(`${alias}.seq IN (SELECT invoice_seq FROM payments WHERE ${txidIs('payments', '@f_txid')})`);
      args.f_txid = term.toLowerCase();
    } else {
      parts.push(`(${alias}.id = @f_term OR ${alias}.address_id = (SELECT ad.id FROM addresses ad WHERE ${addressMatch('ad', 'f_term')}) OR ${alias}.userdata = @f_term OR ${alias}.label LIKE @f_like ESCAPE '\\')`);
      Object.assign(args, addressArgs(term, 'f_term'));
      args.f_like = `%${term.replace(/[\\%_]/g, (c) => '\\' + c)}%`;
    }
  }
  return { sql: parts.length ? parts.join(' AND ') : '1', args };
}

/** Whether the filter narrows invoices at all (unattributed payments belong to no invoice: only an open filter shows them). */
export function filters(f: InvoiceFilter): boolean {
  return Boolean(f.status) || Boolean(f.q?.trim());
}
