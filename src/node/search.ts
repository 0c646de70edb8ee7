/**
 * Invoice search for `GET /invoices?q=` (docs/spec/api.md#search), answered from indexes so it costs the same at a
 * million invoices as at a hundred (docs/decisions/0081-search-index.md). One term matches an invoice when it is:
 * - its id;
 * - its address (exactly, as pasted);
 * - the txid of one of its payments, or the first 8 or more hex digits of one;
 * - part of its label or order reference (userdata): 3 characters or more, through the trigram index
 *   `invoices_search` (migration 008); 1 or 2 characters match an order reference exactly.
 * Each way is one indexed query that stops after a page; the pages are merged newest first.
 */
import { limit, prepared, type DB } from './store/sqlite.ts';
import type { InvoiceRow } from './invoices.ts';
import { addressArgs, addressMatch, INVOICE_COLUMNS, statusIs, txidBetween } from './store/chain-sql.ts';

export interface SearchQuery {
  term: string;
  /** Only invoices with seq below this (the list cursor). */
  before: number;
  status?: string | undefined;
  /** Only invoices created in [start, end) (unix seconds), as the books read a range (docs/books.md#dates-and-ranges). */
  created?: { start: number; end: number } | undefined;
  /** Rows wanted: the page size plus one, to tell whether another page follows. */
  limit: number;
}

/** At most this many trigrams go into one index query: each extra common one costs a walk over its list. */
const MAX_TRIGRAMS = 4;

/**
 * The trigrams to look up for `term`, as an FTS5 query (each one quoted, all required), or null under 3 characters.
 * Any subset finds every match (the row is checked afterwards); the most telling ones are kept: digits and signs
 * before letters, later ones first (order references differ in their tail).
 */
export function trigramQuery(term: string): string | null {
  const chars = [...term.toLowerCase()];
  if (chars.length < 3) return null;
  const all: { t: string; score: number; at: number }[] = [];
  const seen = new Set<string>();
  for (let i = 0; i + 3 <= chars.length; i++) {
    const t = chars.slice(i, i + 3).join('');
    if (seen.has(t)) continue;
    seen.add(t);
    const score = [...t].reduce((a, c) => a + (/\d/.test(c) ? 2 : /[\p{L}]/u.test(c) ? 0 : 1), 0);
    all.push({ t, score, at: i });
  }
  const picked = all.sort((a, b) => b.score - a.score || b.at - a.at).slice(0, MAX_TRIGRAMS);
  return picked.map((p) => `"${p.t.replace(/"/g, '""')}"`).join(' ');
}

const likePattern = (term: string): string => `%${term.replace(/[\\%_]/g, (c) => '\\' + c)}%`;

/** The invoices matching `q.term`, newest first, at most `q.limit` of them. */
export function searchInvoices(db: DB, q: SearchQuery): InvoiceRow[] {
  const sql = (text: string): ReturnType<typeof prepared> => prepared(db, text);
  const term = q.term.trim();
  if (!term) return [];
  const status =
    (q.status ? ` AND ${statusIs('i.status', '@status', q.status)}` : '') + (q.created ? ' AND i.created_at >= @start AND i.created_at < @end' : '');
  // The limit is written into the text (docs/decisions/0106-literal-limits.md): a query with one is prepared per search,
  // as the same query with a bound limit was prepared again on every run.
  const lim = limit(q.limit);
  const once = (text: string): ReturnType<typeof prepared> => db.prepare(text);
  const args = { before: q.before, ...(q.status ? { status: q.status } : {}), ...(q.created ?? {}) };
  const found = new Map<number, InvoiceRow>();
  const add = (rows: unknown[]): void => {
    for (const r of rows as InvoiceRow[]) found.set(r.seq, r);
  };
  if (/^[0-9a-z]{1,40}$/.test(term)) add(sql(`SELECT ${INVOICE_COLUMNS} FROM invoices i WHERE i.id = @term AND i.seq < @before${status}`).all({ ...args, term }));
  if (/^[A-Za-z0-9]{14,100}$/.test(term)) {
    const lower = term.toLowerCase();
    for (const address of lower === term ? [term] : [term, lower]) {
      add(
        once(
          `SELECT ${INVOICE_COLUMNS} FROM addresses a JOIN invoices i ON i.address_id = a.id
           WHERE ${addressMatch('a')} AND i.seq < @before${status} ORDER BY i.seq DESC ${lim}`,
        ).all({ ...args, ...addressArgs(address) }),
      );
    }
  }
  if (/^[0-9a-fA-F]{8,64}$/.test(term)) {
    const digits = term.toLowerCase();
    // A prefix range on the payments' txid index: the txids (32 bytes) that start with these digits.
    const low = digits.padEnd(64, '0');
    const high = digits.padEnd(64, 'f');
    add(
      once(
        `SELECT ${INVOICE_COLUMNS} FROM invoices i
         WHERE i.seq IN (SELECT invoice_seq FROM payments WHERE ${txidBetween('payments', '@low', '@high')} AND invoice_seq IS NOT NULL LIMIT 1000)
           AND i.seq < @before${status} ORDER BY i.seq DESC ${lim}`,
      ).all({ ...args, low, high }),
    );
  }
  const match = trigramQuery(term);
  if (match) {
    add(
      once(
        `SELECT ${INVOICE_COLUMNS} FROM invoices_search s JOIN invoices i ON i.seq = s.rowid
         WHERE invoices_search MATCH @match AND s.rowid < @before${status}
           AND (i.label LIKE @like ESCAPE '\\' OR i.userdata LIKE @like ESCAPE '\\')
         ORDER BY s.rowid DESC ${lim}`,
      ).all({ ...args, match, like: likePattern(term) }),
    );
  } else {
    // Under 3 characters: only an order reference of one or two equals the term, and the partial index
    // invoices_userdata_short holds just those (migration 030); the condition, written out, lets SQLite use it.
    add(
      once(
        `SELECT ${INVOICE_COLUMNS} FROM invoices i WHERE i.userdata = @term AND length(i.userdata) BETWEEN 1 AND 2 AND i.seq < @before${status}
         ORDER BY i.seq DESC ${lim}`,
      ).all({
        ...args,
        term,
      }),
    );
  }
  return [...found.values()].sort((a, b) => b.seq - a.seq).slice(0, q.limit);
}
