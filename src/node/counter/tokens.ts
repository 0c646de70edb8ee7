/**
 * Role tokens and device pairing (docs/counter.md). The owner names a device and its role (owner, cashier or
 * display, the last two optionally bound to one till); the console shows a short one-time code (and a QR of the
 * pairing link). The device redeems the code once: only then is its token made, handed over and its hash stored.
 * A code lives 10 minutes; wrong codes are rate-limited so the short code cannot be guessed.
 */
import crypto from 'node:crypto';
import type { DB } from '../store/sqlite.ts';
import { SatdeskError } from '../../core/errors.ts';
import type { ApiTokenView, Principal, Role } from '../../shared/contract-counter.ts';

export const PAIRING_TTL_MS = 10 * 60_000;
/** No 0/O, 1/I/L, U: a code read aloud or typed from a screen is hard to get wrong. */
const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTVWXYZ23456789';
const CODE_LENGTH = 8;
const MAX_FAILURES_PER_MINUTE = 10;

export interface TokenRow {
  id: string;
  name: string;
  role: Role;
  till_id: string | null;
  token_hash: string | null;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

const sha256 = (s: string): string => crypto.createHash('sha256').update(s).digest('hex');
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function tokenView(r: TokenRow): ApiTokenView {
  return {
    id: r.id,
    name: r.name,
    role: r.role,
    till_id: r.till_id,
    created_at: iso(r.created_at)!,
    last_used_at: iso(r.last_used_at),
    paired: r.token_hash !== null,
    revoked: r.revoked_at !== null,
  };
}

function randomCode(): string {
  // Rejection sampling keeps every symbol equally likely (256 is not a multiple of 30).
  let out = '';
  while (out.length < CODE_LENGTH) {
    for (const b of crypto.randomBytes(16)) {
      if (b < 240 && out.length < CODE_LENGTH) out += CODE_ALPHABET[b % CODE_ALPHABET.length];
    }
  }
  return out;
}

/** Codes are shown as ABCD-EFGH; typed with or without the dash, in any case. */
export const normaliseCode = (code: string): string => code.toUpperCase().replace(/[^A-Z0-9]/g, '');

export function mustToken(db: DB, id: string): TokenRow {
  const row = db.prepare('SELECT * FROM api_tokens WHERE id = ?').get(id) as TokenRow | undefined;
  if (!row) throw new SatdeskError('not_found', /^[0-9a-z]{1,40}$/.test(id) ? `No device token ${id}.` : 'No such device token.');
  return row;
}

export function listTokenRows(db: DB): TokenRow[] {
  return db.prepare('SELECT * FROM api_tokens ORDER BY revoked_at IS NOT NULL, created_at').all() as TokenRow[];
}

export function createTokenRow(db: DB, input: { name: string; role: Role; till_id?: string | null }, now: number): TokenRow {
  const till = input.till_id ?? null;
  if (input.role === 'display' && till === null) throw new SatdeskError('invalid_request', 'A customer display shows one till: choose its till.');
  if (input.role === 'owner' && till !== null) throw new SatdeskError('invalid_request', 'An owner token is not bound to a till.');
  if (till !== null && !db.prepare('SELECT 1 FROM tills WHERE id = ?').get(till)) throw new SatdeskError('not_found', 'No such till.');
  const id = crypto.randomBytes(8).toString('hex');
  db.prepare('INSERT INTO api_tokens (id, name, role, till_id, token_hash, created_at) VALUES (?, ?, ?, ?, NULL, ?)').run(id, input.name, input.role, till, now);
  return mustToken(db, id);
}

/** A new one-time code for a device token (earlier unused codes for it stop working). */
export function newPairing(db: DB, tokenId: string, now: number): { code: string; expires_at: string; path: string } {
  const row = mustToken(db, tokenId);
  if (row.revoked_at !== null) throw new SatdeskError('invalid_request', 'This device token was revoked; create a new one.');
  db.prepare('DELETE FROM pairings WHERE token_id = ? OR expires_at <= ?').run(tokenId, now);
  const code = randomCode();
  db.prepare('INSERT INTO pairings (code_hash, token_id, expires_at) VALUES (?, ?, ?)').run(sha256(code), tokenId, now + PAIRING_TTL_MS);
  const shown = `${code.slice(0, 4)}-${code.slice(4)}`;
  return { code: shown, expires_at: iso(now + PAIRING_TTL_MS)!, path: `/#/pair/${shown}` };
}

export function revokeTokenRow(db: DB, id: string, now: number): TokenRow {
  mustToken(db, id);
  db.prepare('UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?').run(now, id);
  db.prepare('DELETE FROM pairings WHERE token_id = ?').run(id);
  return mustToken(db, id);
}

/** Redeems a pairing code: makes the device's token (replacing an earlier device's), once. */
export class Pairing {
  private failures: number[] = [];

  constructor(private readonly db: DB) {}

  redeem(code: string, now: number): { token: string; row: TokenRow } {
    this.failures = this.failures.filter((t) => t > now - 60_000);
    if (this.failures.length >= MAX_FAILURES_PER_MINUTE) {
      throw new SatdeskError('rate_limited', 'Too many wrong pairing codes: wait a minute and try again.');
    }
    const hash = sha256(normaliseCode(code));
    const p = this.db.prepare('SELECT token_id, expires_at FROM pairings WHERE code_hash = ?').get(hash) as
      | { token_id: string; expires_at: number }
      | undefined;
    if (!p || p.expires_at <= now) {
      this.failures.push(now);
      throw new SatdeskError('not_found', 'This pairing code is unknown or has expired: ask the owner for a new one.');
    }
    const token = crypto.randomBytes(24).toString('base64url');
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM pairings WHERE code_hash = ?').run(hash);
      this.db.prepare('UPDATE api_tokens SET token_hash = ?, last_used_at = ? WHERE id = ?').run(sha256(token), now, p.token_id);
    })();
    return { token, row: mustToken(this.db, p.token_id) };
  }
}

/**
 * The principal a bearer token stands for: the data dir's owner token, or a live device token. `last_used_at`
 * is written at most once a minute per token, so authentication costs no write on a busy till.
 */
export class TokenAuth {
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly db: DB,
    private readonly ownerToken: () => string,
    private readonly now: () => number,
  ) {}

  authenticate(bearer: string | undefined): Principal | null {
    if (!bearer) return null;
    const given = crypto.createHash('sha256').update(bearer).digest();
    const owner = crypto.createHash('sha256').update(this.ownerToken()).digest();
    if (crypto.timingSafeEqual(given, owner)) return { role: 'owner', tokenId: null, name: 'owner', tillId: null };
    const row = this.db.prepare('SELECT * FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL').get(given.toString('hex')) as
      | TokenRow
      | undefined;
    if (!row) return null;
    const now = this.now();
    if ((this.touched.get(row.id) ?? 0) < now - 60_000) {
      this.touched.set(row.id, now);
      this.db.prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ?').run(now, row.id);
    }
    return { role: row.role, tokenId: row.id, name: row.name, tillId: row.till_id };
  }
}
