/**
 * One CSV line (RFC 4180, CRLF). Text cells that a spreadsheet would run as a formula (=, +, -, @, tab, CR) are
 * prefixed with an apostrophe: labels and userdata come from customers and shops, and the file goes to an accountant.
 * A plain decimal number ("-0.00005000", a refund) is data, not a formula, and is written as it is.
 */
const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;

export function csvLine(cells: (string | number)[]): string {
  return (
    cells
      .map((c) => {
        let s = String(c);
        if (typeof c === 'string' && /^[=+\-@\t\r]/.test(s) && !PLAIN_NUMBER.test(s)) s = `'${s}`;
        return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
      })
      .join(',') + '\r\n'
  );
}
