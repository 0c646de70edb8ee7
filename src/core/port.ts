/**
 * TCP ports as users type them, parsed once for every command and URL: decimal digits only (no signs, spaces,
 * exponents or hex), 1–65535, or 0 where a listener may pick a free port.
 */
export function parsePort(text: string | undefined, opts: { allowZero?: boolean } = {}): number | null {
  if (text === undefined || !/^\d{1,5}$/.test(text)) return null;
  const n = Number(text);
  return n <= 65535 && (n > 0 || opts.allowZero === true) ? n : null;
}

/** The message for a port that did not parse: `--port needs a port number 0..65535, got "x"`. */
export function portError(name: string, text: string | undefined, opts: { allowZero?: boolean } = {}): string {
  return `${name} needs a port number ${opts.allowZero ? 0 : 1}..65535, got ${text === undefined ? 'nothing' : JSON.stringify(text)}`;
}
