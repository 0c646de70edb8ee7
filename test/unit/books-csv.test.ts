/**
 * The CSV files' form (docs/books.md#exports): the header rows docs/books.md documents are the ones written, the fast
 * row writer escapes exactly as csvLine does, times are Date#toISOString's, and formula injection stays defused.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { INVOICES_CSV_COLUMNS, PAYMENTS_CSV_COLUMNS, invoiceLine, iso } from '../../src/node/books/export.ts';
import { balanceOf, type InvoiceBookRow } from '../../src/node/books/rows.ts';
import { csvLine } from '../../src/node/csv.ts';
import { formatBtc } from '../../src/core/money.ts';

describe('documented header rows', () => {
  const doc = fs.readFileSync('docs/books.md', 'utf8');
  it.each([
    ['invoices.csv', INVOICES_CSV_COLUMNS],
    ['payments.csv', PAYMENTS_CSV_COLUMNS],
  ] as const)('%s', (file, cols) => {
    const m = new RegExp(`<!-- books:${file.replace('.', '\\.')} -->\\n\`\`\`\\n(.*)\\n\`\`\``).exec(doc);
    expect(m?.[1]).toBe(cols.join(','));
    for (const c of cols) expect(doc, `docs/books.md explains ${c}`).toContain(`\`${c}`);
  });
});

describe('cells', () => {
  it('defuses formulas in text, keeps numbers and negative amounts as they are', () => {
    expect(csvLine(['=HYPERLINK("x")', '+1', '-1+2', '@SUM(A1)', '\tx', 'a,b', '-0.00005000', '-3.25', 12, -5000])).toBe(
      `"'=HYPERLINK(""x"")",'+1,'-1+2,'@SUM(A1),'\tx,"a,b",-0.00005000,-3.25,12,-5000\r\n`,
    );
  });

  it('writes times as Date#toISOString does', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), (ms) => {
        expect(iso(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 20_000 },
    );
    expect(iso(null)).toBe('');
  });

  it('writes an invoice row exactly as csvLine would, whatever the shop typed', () => {
    const text = fc.string({ unit: fc.constantFrom('a', ',', '"', '=', '+', '-', '@', '\t', '\r', '\n', '1', '.', ' ', 'é') });
    const row = fc.record({
      seq: fc.nat(), id: fc.stringMatching(/^[0-9a-z]{16}$/), created_at: fc.nat({ max: 4e12 }), expires_at: fc.nat({ max: 4e12 }),
      status: fc.constantFrom('paid', 'confirmed'), flags: fc.constantFrom('', 'late', 'multiple,overpaid'), userdata: text, label: text,
      amount_sats: fc.integer({ min: 1, max: 2_100_000_000_000_000 }), tolerance_bp: fc.integer({ min: 0, max: 10_000 }),
      paid_sats: fc.nat({ max: 1e12 }), confirmed_sats: fc.nat({ max: 1e12 }), refunded_sats: fc.nat({ max: 1e12 }),
      tip_sats: fc.option(fc.nat()), tip_fiat: fc.option(text), fiat_amount: fc.option(text), fiat_currency: fc.option(text),
      fiat_rate: fc.option(text), address: fc.stringMatching(/^bcrt1q[0-9a-z]{20}$/), paid_at: fc.option(fc.nat({ max: 4e12 })),
      confirmed_at: fc.option(fc.nat({ max: 4e12 })), note: text,
    }) as fc.Arbitrary<InvoiceBookRow>;
    fc.assert(
      fc.property(row, (r) => {
        const b = balanceOf(r);
        const d = (t: number | null): string => (t === null ? '' : new Date(t).toISOString());
        expect(invoiceLine(r)).toBe(
          csvLine([
            r.id, d(r.created_at), d(r.expires_at), r.status, r.flags.replace(/,/g, ' '), r.userdata, r.label, r.amount_sats,
            formatBtc(r.amount_sats), b.dueSats, b.receivedSats, b.confirmedSats, b.missingSats, b.overpaidSats, b.refundedSats,
            b.netSats, r.tip_sats ?? 0, r.tip_fiat ?? '', r.fiat_amount ?? '', r.fiat_currency ?? '', r.fiat_rate ?? '', r.address,
            d(r.paid_at), d(r.confirmed_at), r.note,
          ]),
        );
      }),
      { numRuns: 2000 },
    );
  });
});
