/** A small RFC 4180 reader for the exports (quoted cells, doubled quotes, CRLF), for tests only. */
/** A parsed row: every header is a key (the reader refuses rows with missing cells). */
type Row = Record<string, any>;

export function parseCsv(text: string): { header: string[]; rows: Row[] } {
  const records: string[][] = [];
  let cell = '';
  let row: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      records.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  if (cell !== '' || row.length) throw new Error('CSV does not end with CRLF');
  const [header = [], ...body] = records;
  for (const r of body) if (r.length !== header.length) throw new Error(`a row has ${r.length} cells, the header ${header.length}`);
  return { header, rows: body.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]!])) as Row) };
}

/** The integer sum of a column (every cell must be an integer). */
export function sumColumn(rows: Row[], col: string): number {
  return rows.reduce((s, r) => {
    const v = r[col];
    if (v === undefined || !/^-?\d+$/.test(v)) throw new Error(`${col} is not an integer: ${v}`);
    return s + Number(v);
  }, 0);
}
