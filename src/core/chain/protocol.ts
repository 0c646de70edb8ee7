/**
 * Electrum protocol versions (docs/electrum.md#framing-and-handshake), defined once for the client and the sandbox:
 * the range both speak, and version arithmetic.
 */

/** The oldest protocol Satdesk speaks (Electrum 4.3.4 asks for exactly this). */
export const PROTOCOL_MIN = '1.4';
/** The newest: what ElectrumX 1.20.0 (`PROTOCOL_MAX = (1, 6, 0)` in src/electrumx/server/session.py) and Fulcrum 2.1 offer. */
export const PROTOCOL_MAX = '1.6';
/** From here on `blockchain.scripthash.unsubscribe` exists. */
export const PROTOCOL_UNSUBSCRIBE = '1.4.2';

/** "1.4.2" → [1, 4, 2]; null for anything else. */
export function parseVersion(v: string): number[] | null {
  if (typeof v !== 'string' || !/^\d+(\.\d+)+$/.test(v)) return null;
  return v.split('.').map(Number);
}

/** Compares parsed versions; missing parts count as 0 (1.4 = 1.4.0). */
export function cmpVersion(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function compareVersions(a: string, b: string): number {
  return cmpVersion(a.split('.').map(Number), b.split('.').map(Number));
}

export function isVersionString(v: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){0,3}$/.test(v);
}
