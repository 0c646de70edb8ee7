/**
 * One CSV line (RFC 4180, CRLF). Cells that a spreadsheet would run as a formula (=, +, -, @, tab, CR) are
 * prefixed with an apostrophe: labels and userdata come from customers and shops, and the file goes to an accountant.
 */
export function csvLine(cells: (string | number)[]): string {
  return (
    cells
      .map((c) => {
        let s = String(c);
        if (typeof c === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
        return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
      })
      .join(',') + '\r\n'
  );
}
