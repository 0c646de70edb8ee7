/**
 * Who may talk to the local server, decided before any route runs (docs/security.md):
 *
 * 1. the Host header names this server (loopback names by default, the bound host when bound elsewhere, and any
 *    `--allow-host`): a page on an attacker's domain that rebinds its DNS to 127.0.0.1 is answered 421;
 * 2. a browser's Origin, when sent, is this same server: anything else is answered 403;
 * 3. the API token (Authorization: Bearer, or `?token=` on the event stream only), compared in constant time;
 * 4. one-time login codes, so the console link printed by `serve` never carries the long-lived token.
 *
 * Roles (owner, cashier, display) build on `tokenMatches`/`bearer` here.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import type http from 'node:http';
import { parsePort } from '../../core/port.ts';

export function tokenMatches(given: string | undefined | null, token: string): boolean {
  if (!given) return false;
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(token).digest();
  return crypto.timingSafeEqual(a, b);
}

export function bearer(req: http.IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  const m = h ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(h) : null;
  return m?.[1];
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];

/** True for names and addresses that never leave this machine. */
export function isLoopbackHost(host: string): boolean {
  const h = normalizeHostname(host);
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/** Lower case, no brackets around IPv6, no trailing dot. */
export function normalizeHostname(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h;
}

/**
 * The host names this server answers to. Loopback names always; when bound to a specific other address, that
 * address; when bound to every interface (0.0.0.0, ::), every interface address and the machine's name; plus the
 * names given with `--allow-host` (a tunnel's public name, a LAN name).
 */
export function allowedHostsFor(bindHost: string, extra: readonly string[] = [], interfaces = interfaceAddresses): Set<string> {
  const out = new Set(LOOPBACK_NAMES);
  const b = normalizeHostname(bindHost);
  if (b === '0.0.0.0' || b === '::' || b === '') {
    for (const a of interfaces()) out.add(normalizeHostname(a));
    const name = normalizeHostname(os.hostname());
    if (name) {
      out.add(name);
      out.add(`${name}.local`);
    }
  } else {
    out.add(b);
  }
  for (const e of extra) out.add(normalizeHostname(e));
  return out;
}

function interfaceAddresses(): string[] {
  return Object.values(os.networkInterfaces())
    .flat()
    .map((i) => i?.address)
    .filter((a): a is string => Boolean(a));
}

/** The host name of a Host header (`name`, `name:port`, `[v6]`, `[v6]:port`), or null when it is not one. */
export function hostOfHeader(value: string | undefined): string | null {
  if (!value) return null;
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?$/.exec(value);
  if (!m) return null;
  if (m[2] !== undefined && parsePort(m[2], { allowZero: true }) === null) return null;
  return normalizeHostname(m[1]!);
}

export type GuardVerdict = { ok: true } | { ok: false; status: 421 | 403; code: 'host_not_allowed' | 'origin_not_allowed'; message: string };

/**
 * Host and Origin checks for every request, the static console and /health included. A request from the console
 * itself carries Origin equal to `<scheme>://<Host>`; a request from any other page carries another Origin.
 */
export function checkHostAndOrigin(headers: http.IncomingHttpHeaders, allowed: ReadonlySet<string>): GuardVerdict {
  const hostHeader = headers.host;
  const host = hostOfHeader(hostHeader);
  if (host === null || !allowed.has(host)) {
    return {
      ok: false,
      status: 421,
      code: 'host_not_allowed',
      message: 'This Satdesk answers only to its own host names (loopback by default; add others with --allow-host).',
    };
  }
  const origin = headers.origin;
  if (origin !== undefined) {
    let same = false;
    try {
      const u = new URL(origin);
      same = (u.protocol === 'http:' || u.protocol === 'https:') && u.host === new URL(`http://${hostHeader}`).host && !u.username;
    } catch {
      same = false;
    }
    if (!same) {
      return { ok: false, status: 403, code: 'origin_not_allowed', message: 'Requests from other web pages are refused.' };
    }
  }
  return { ok: true };
}

const CODE_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';

/**
 * One-time login codes: `serve` prints `/?login=<code>`; the console trades the code for the token once
 * (POST /api/v1/login) and the address bar and the browser's history only ever hold a spent code.
 * Held in memory, hashed; a restart forgets them (serve prints a fresh link at every start).
 */
export class LoginCodes {
  private readonly codes = new Map<string, number>();

  constructor(private readonly max = 32) {}

  issue(now: number, ttlMs: number): string {
    const code = Array.from(crypto.randomBytes(26), (b) => CODE_ALPHABET[b & 31]).join('');
    for (const [k, exp] of this.codes) if (exp <= now) this.codes.delete(k);
    while (this.codes.size >= this.max) this.codes.delete(this.codes.keys().next().value!);
    this.codes.set(hash(code), now + ttlMs);
    return code;
  }

  /** True once per issued, unexpired code. */
  redeem(code: unknown, now: number): boolean {
    if (typeof code !== 'string' || code.length < 10 || code.length > 100) return false;
    const k = hash(code);
    const exp = this.codes.get(k);
    if (exp === undefined) return false;
    this.codes.delete(k);
    return exp > now;
  }
}

const hash = (s: string): string => crypto.createHash('sha256').update(s).digest('hex');
