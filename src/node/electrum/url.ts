import { isIP, isIPv6 } from 'node:net';
import { SatdeskError } from '../../core/errors.ts';
import { parsePort } from '../../core/port.ts';

export type ElectrumProtocol = 'tcp' | 'ssl';

export interface ServerUrl {
  protocol: ElectrumProtocol;
  /** Hostname or IP literal; IPv6 without brackets. */
  host: string;
  port: number;
  /** SHA-256 certificate fingerprint, 64 lowercase hex digits, no colons (ssl only). */
  fingerprint?: string;
}

function invalid(input: string, why: string): SatdeskError {
  const shown = input.length > 120 ? `${input.slice(0, 120)}…` : input;
  return new SatdeskError('invalid_request', `Invalid Electrum server URL "${shown}": ${why}`);
}

const HOST_LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/i;

export function isValidHostname(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  const h = host.endsWith('.') ? host.slice(0, -1) : host;
  return h.split('.').every((l) => HOST_LABEL.test(l));
}


/**
 * Splits "host:port" / "[v6]:port" into parts; returns an error string instead of throwing so the callers
 * (server URL and proxy URL parsers) can phrase their own message.
 */
export function splitHostPort(authority: string): { host: string; port: number } | string {
  let host: string;
  let portStr: string;
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    if (close < 0) return 'missing "]" after the IPv6 address';
    host = authority.slice(1, close);
    if (!isIPv6(host)) return `"${host}" is not an IPv6 address`;
    const rest = authority.slice(close + 1);
    if (rest === '') return 'missing port';
    if (!rest.startsWith(':')) return 'expected ":port" after the IPv6 address';
    portStr = rest.slice(1);
  } else {
    const parts = authority.split(':');
    if (parts.length > 2) return 'IPv6 addresses must be written in brackets, e.g. [::1]:50001';
    host = parts[0] ?? '';
    if (host === '') return 'missing host';
    if (parts.length < 2) return 'missing port';
    portStr = parts[1] ?? '';
    if (isIP(host) === 0 && !isValidHostname(host)) return `"${host}" is not a valid host name`;
  }
  if (portStr === '') return 'missing port';
  const port = parsePort(portStr);
  if (port === null) return `port "${portStr}" is not a number from 1 to 65535`;
  return { host: host.toLowerCase(), port };
}

/** Normalises a SHA-256 fingerprint ("AB:CD:…" or "abcd…") to 64 lowercase hex digits, or null if malformed. */
export function normaliseFingerprint(fp: string): string | null {
  const hex = fp.trim().replace(/:/g, '').toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? hex : null;
}

/**
 * `tcp://host:port` or `ssl://host:port`, optionally `#<sha256 fingerprint>` (hex, colons allowed) to pin a
 * self-signed certificate. IPv6 literals in brackets. Throws SatdeskError('invalid_request') with the reason.
 */
export function parseServerUrl(input: string): ServerUrl {
  if (typeof input !== 'string') throw invalid(String(input), 'not a string');
  const s = input.trim();
  const m = /^([a-z0-9+.-]+):\/\/(.*)$/i.exec(s);
  if (!m) throw invalid(s, 'expected tcp://host:port or ssl://host:port');
  const scheme = (m[1] ?? '').toLowerCase();
  if (scheme !== 'tcp' && scheme !== 'ssl') {
    throw invalid(s, `unsupported scheme "${scheme}" (use tcp:// or ssl://)`);
  }
  let rest = m[2] ?? '';
  let fingerprint: string | undefined;
  const hash = rest.indexOf('#');
  if (hash >= 0) {
    const fpRaw = rest.slice(hash + 1);
    rest = rest.slice(0, hash);
    const fp = normaliseFingerprint(fpRaw);
    if (fp === null) throw invalid(s, 'the fingerprint after "#" must be a SHA-256 hash: 64 hex digits, colons allowed');
    if (scheme !== 'ssl') throw invalid(s, 'a certificate fingerprint needs ssl://');
    fingerprint = fp;
  }
  if (rest.endsWith('/')) rest = rest.slice(0, -1);
  if (rest.includes('@')) throw invalid(s, 'user names and passwords are not supported');
  if (/[/?]/.test(rest)) throw invalid(s, 'unexpected path or query after host:port');
  const hp = splitHostPort(rest);
  if (typeof hp === 'string') throw invalid(s, hp);
  const out: ServerUrl = { protocol: scheme, host: hp.host, port: hp.port };
  if (fingerprint !== undefined) out.fingerprint = fingerprint;
  return out;
}

/** Display form, e.g. `ssl://[::1]:50002` (the fingerprint is shown only when asked). */
export function formatServerUrl(u: ServerUrl, withFingerprint = false): string {
  const host = u.host.includes(':') ? `[${u.host}]` : u.host;
  const fp = withFingerprint && u.fingerprint ? `#${u.fingerprint}` : '';
  return `${u.protocol}://${host}:${u.port}${fp}`;
}
