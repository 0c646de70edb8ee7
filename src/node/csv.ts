/**
 * One CSV line (RFC 4180, CRLF). Text cells that a spreadsheet would run as a formula (=, +, -, @, tab, CR) are
 * prefixed with an apostrophe: labels and userdata come from customers and shops, and the file goes to an accountant.
 * A plain decimal number ("-0.00005000", a refund) is data, not a formula, and is written as it is. Written for speed:
 * an export formats a million of these (docs/books.md#exports).
 */
const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;
const NEEDS_QUOTES = /[",\r\n]/;

/** One cell, escaped (formula prefix, quotes) as `csvLine` does: for writers that format known-safe cells themselves. */
export function csvCell(c: string | number): string {
  if (typeof c === 'number') return String(c);
  let s = c;
  if (s.length === 0) return s;
  const first = s.charCodeAt(0);
  // = + - @ tab CR
  if ((first === 61 || first === 43 || first === 45 || first === 64 || first === 9 || first === 13) && !PLAIN_NUMBER.test(s)) s = `'${s}`;
  return NEEDS_QUOTES.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(cells: (string | number)[]): string {
  let out = csvCell(cells[0] ?? '');
  for (let i = 1; i < cells.length; i++) out += ',' + csvCell(cells[i]!);
  return out + '\r\n';
}
