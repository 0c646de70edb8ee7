/**
 * 033: an event names its invoice by the invoice's row number, `invoice_seq`, no longer by its 16-character public id
 * (docs/decisions/0114-event-invoice-seq.md), as payments have since 023 (0102). The id cost 17 bytes in every invoice
 * event, about 3 bytes per invoice at a million; the row number costs three or four. Readers still get the public id,
 * through `invoiceIdOf` (src/node/store/chain-sql.ts). The table is rebuilt (src/node/store/migrations/rebuild.ts)
 * with every row and the references to it.
 */
import type { DB } from '../sqlite.ts';
import { rebuildTable } from './rebuild.ts';

export const foreignKeys = 'off' as const;

const events = (name: string): string => `CREATE TABLE ${name} (
  id          INTEGER PRIMARY KEY,
  type        TEXT NOT NULL,
  invoice_seq INTEGER REFERENCES invoices (seq),
  payment_id  INTEGER REFERENCES payments (id),
  data        ANY NOT NULL,                  -- packed JSON (src/node/store/event-data.ts), or text from before 012
  created_at  INTEGER NOT NULL
) STRICT`;

export function up(db: DB): void {
  rebuildTable(db, 'events', events, { invoice_seq: '(SELECT iv.seq FROM invoices iv WHERE iv.id = invoice_id)' });
}
