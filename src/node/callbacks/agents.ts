/**
 * Agents (docs/spec/notifications.md#planning, docs/spec/api.md): callback endpoints. Rows ↔ API shape, create/patch/delete/rotate with the rules that keep
 * planning honest: a new or re-enabled agent never replays older payments or events, and a threshold added later
 * applies only to payments that had not reached it when it was added.
 */
import crypto from 'node:crypto';
import type { DB } from '../store/sqlite.ts';
import { scriptKey } from '../store/chain-sql.ts';
import { SatdeskError } from '../../core/errors.ts';
import type { NetworkName } from '../../core/network.ts';
import { addressScripthash, validateAddress } from '../../core/wallet/address.ts';
import type { Agent, CreateAgentRequest, PatchAgentRequest } from '../../shared/contract.ts';
import { markerFloor } from './markers.ts';

export type AgentFormat = 'bitcoinmonitor' | 'events' | 'xmpp';

export interface AgentRow {
  id: string;
  name: string;
  url: string | null;
  jid: string | null;
  token: string;
  thresholds: string;
  format: AgentFormat;
  retry_delays: string;
  timeout_s: number;
  enabled: number;
  addresses: string | null;
  enabled_at: number;
  created_at: number;
  deleted_at: number | null;
  threshold_meta: string;
  event_floor: number;
}

/** When a threshold was added after the agent was enabled: time and tip height at that moment. */
export type ThresholdMeta = Record<string, { at: number; tip: number }>;

export const DEFAULT_DELAYS_S = [30, 30, 30, 30, 30];

function newId(prefix: string): string {
  return `${prefix}_${crypto.randomBytes(10).toString('hex')}`;
}

export function agentView(r: AgentRow, withToken = false): Agent {
  return {
    id: r.id,
    name: r.name,
    url: r.url,
    ...(withToken ? { token: r.token } : {}),
    thresholds: JSON.parse(r.thresholds) as number[],
    format: r.format,
    jid: r.jid,
    retry: { delays_s: JSON.parse(r.retry_delays) as number[] },
    timeout_s: r.timeout_s,
    enabled: r.enabled === 1,
    addresses: r.addresses === null ? null : (JSON.parse(r.addresses) as string[]),
    created_at: new Date(r.created_at).toISOString(),
    enabled_at: new Date(r.enabled_at).toISOString(),
  };
}

export function getAgentRow(db: DB, id: string): AgentRow | undefined {
  return db.prepare('SELECT * FROM agents WHERE id = ? AND deleted_at IS NULL').get(id) as AgentRow | undefined;
}

export function mustAgent(db: DB, id: string): AgentRow {
  const r = getAgentRow(db, id);
  // Echo only what looks like one of our ids: a path segment may hold anything a user pasted.
  if (!r) throw new SatdeskError('not_found', /^agt_[0-9a-f]{20}$/.test(id) ? `No agent ${id}.` : 'No such agent.');
  return r;
}

export function listAgentRows(db: DB): AgentRow[] {
  return db.prepare('SELECT * FROM agents WHERE deleted_at IS NULL ORDER BY created_at, id').all() as AgentRow[];
}

function checkTarget(format: AgentFormat, url: string | null, jid: string | null): void {
  if (format === 'xmpp') {
    if (!jid) throw new SatdeskError('invalid_request', 'An xmpp agent needs a jid (user@domain).');
  } else if (!url) {
    throw new SatdeskError('invalid_request', `A ${format} agent needs a url (http:// or https://).`);
  }
  if (url !== null) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new SatdeskError('invalid_request', 'url is not a valid URL.');
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new SatdeskError('invalid_request', 'url must be http:// or https://.');
    if (u.username || u.password) throw new SatdeskError('invalid_request', 'url must not carry credentials; the token signs each request.');
  }
}

function nameTaken(db: DB, name: string, exceptId: string | null): boolean {
  const r = db.prepare('SELECT id FROM agents WHERE name = ? AND deleted_at IS NULL').get(name) as { id: string } | undefined;
  return Boolean(r && r.id !== exceptId);
}

function maxEventId(db: DB): number {
  return (db.prepare('SELECT COALESCE(MAX(id), 0) AS m FROM events').get() as { m: number }).m;
}

/**
 * An agent's address filter: each entry must be an address of this data dir's network (a typo, a WIF or another
 * network's address would silently never match, so it is refused with its position, never echoed).
 */
function normAddresses(db: DB, a: string[] | null | undefined): string | null {
  if (a === undefined || a === null) return null;
  const network = JSON.parse((db.prepare("SELECT value FROM settings WHERE key = 'network'").get() as { value: string }).value) as NetworkName;
  const out = a.map((s, i) => {
    try {
      return validateAddress(s, network).address;
    } catch (e) {
      const err = e as SatdeskError;
      throw new SatdeskError(err.code === 'wrong_network' ? 'wrong_network' : 'invalid_address', `addresses[${i}]: ${err.message}`);
    }
  });
  return JSON.stringify([...new Set(out)]);
}

export function createAgent(db: DB, body: CreateAgentRequest, now: number): AgentRow {
  const format = body.format;
  const url = body.url ?? null;
  const jid = body.jid ?? null;
  checkTarget(format, url, jid);
  if (format === 'events' && body.thresholds !== undefined) {
    throw new SatdeskError('invalid_request', 'events agents have no thresholds: they get every event.');
  }
  if (nameTaken(db, body.name, null)) throw new SatdeskError('invalid_request', 'An agent with this name exists already.');
  const id = newId('agt');
  const thresholds = [...(body.thresholds ?? [0])].sort((a, b) => a - b);
  db.prepare(
    `INSERT INTO agents (id, name, url, jid, token, thresholds, format, retry_delays, timeout_s, enabled, addresses, enabled_at,
       created_at, threshold_meta, event_floor)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '{}', ?)`,
  ).run(
    id,
    body.name,
    url,
    jid,
    body.token ?? crypto.randomBytes(16).toString('hex'),
    JSON.stringify(format === 'events' ? [] : thresholds),
    format,
    JSON.stringify(body.retry?.delays_s ?? DEFAULT_DELAYS_S),
    body.timeout_s ?? 10,
    body.enabled === false ? 0 : 1,
    normAddresses(db, body.addresses),
    now,
    now,
    maxEventId(db),
  );
  return mustAgent(db, id);
}

export function patchAgent(db: DB, id: string, body: PatchAgentRequest, now: number, tipHeight: number): AgentRow {
  const cur = mustAgent(db, id);
  const format = body.format ?? cur.format;
  const url = body.url ?? cur.url;
  const jid = body.jid ?? cur.jid;
  checkTarget(format, url, jid);
  if (body.name !== undefined && nameTaken(db, body.name, id)) {
    throw new SatdeskError('invalid_request', 'An agent with this name exists already.');
  }
  if (format === 'events' && body.thresholds !== undefined) {
    throw new SatdeskError('invalid_request', 'events agents have no thresholds: they get every event.');
  }
  const addresses = body.addresses !== undefined ? normAddresses(db, body.addresses) : cur.addresses;
  const wasEnabled = cur.enabled === 1;
  const enabled = body.enabled ?? wasEnabled;
  const reEnabled = enabled && !wasEnabled;
  const oldThresholds = JSON.parse(cur.thresholds) as number[];
  let thresholds = body.thresholds ? [...body.thresholds].sort((a, b) => a - b) : oldThresholds;
  if (format !== 'events' && thresholds.length === 0) thresholds = [0];
  if (format === 'events') thresholds = [];
  let meta = JSON.parse(cur.threshold_meta) as ThresholdMeta;
  let enabledAt = cur.enabled_at;
  let eventFloor = cur.event_floor;
  if (reEnabled) {
    // Re-enabling starts afresh: only payments and events from now on.
    enabledAt = now;
    meta = {};
    eventFloor = maxEventId(db);
  } else {
    const next: ThresholdMeta = {};
    for (const t of thresholds) {
      const k = String(t);
      if (oldThresholds.includes(t) && cur.format === format) {
        if (meta[k]) next[k] = meta[k];
      } else {
        next[k] = { at: now, tip: tipHeight };
      }
    }
    meta = next;
    if (format === 'events' && cur.format !== 'events') eventFloor = maxEventId(db);
  }
  db.prepare(
    `UPDATE agents SET name = ?, url = ?, jid = ?, thresholds = ?, format = ?, retry_delays = ?, timeout_s = ?, enabled = ?,
       addresses = ?, enabled_at = ?, threshold_meta = ?, event_floor = ? WHERE id = ?`,
  ).run(
    body.name ?? cur.name,
    url,
    jid,
    JSON.stringify(thresholds),
    format,
    body.retry ? JSON.stringify(body.retry.delays_s) : cur.retry_delays,
    body.timeout_s ?? cur.timeout_s,
    enabled ? 1 : 0,
    addresses,
    enabledAt,
    JSON.stringify(meta),
    eventFloor,
    id,
  );
  if (enabled && format !== 'events') {
    const added = reEnabled ? thresholds : thresholds.filter((t) => !(oldThresholds.includes(t) && cur.format === format));
    replan(db, enabledAt, added, tipHeight, widenedBy(cur.addresses, addresses));
  }
  return mustAgent(db, id);
}

/**
 * The addresses a new `addresses` value lets in beyond the old one: a list of the added ones, or, when the list was
 * lifted, every address but those the old list covered (`except`).
 */
function widenedBy(before: string | null, after: string | null): string[] | { except: string[] } {
  if (after === null) return before === null ? [] : { except: JSON.parse(before) as string[] };
  if (before === null) return [];
  const old = new Set(JSON.parse(before) as string[]);
  return (JSON.parse(after) as string[]).filter((a) => !old.has(a));
}

/**
 * Payments already fully planned that a change can concern again (docs/spec/notifications.md#planning), and only
 * those, so changing an agent's URL or name at a million payments re-plans nothing: a new threshold concerns the
 * payments still below it (one added later skips those that had reached it: unverified ones and the last blocks',
 * indexes payments_unverified and payments_climbing); a wider address list the payments to the added addresses, a
 * lifted one the payments to addresses the old list did not cover. Never a payment at or below the floor of pruned
 * planning markers (src/node/callbacks/markers.ts): settled, it was told all it will be.
 */
function replan(db: DB, since: number, added: number[], tipHeight: number, widened: string[] | { except: string[] }): void {
  const floor = markerFloor(db);
  const reset = (index = ''): string =>
    `UPDATE payments ${index} SET plan_done = 0 WHERE plan_done = 1 AND state = 'active' AND first_seen >= @since AND id > @floor`;
  // Through the script keys' index, the texts compared on its rows (docs/decisions/0099-address-key.md).
  const byAddress =
    'address_id IN (SELECT id FROM addresses WHERE script_key IN (SELECT value FROM json_each(@keys)) AND address IN (SELECT value FROM json_each(@list)))';
  const listed = (list: string[]): { list: string; keys: string } => ({
    list: JSON.stringify(list),
    keys: JSON.stringify(list.map(addressScripthash).flatMap((sh) => (sh === null ? [] : [scriptKey(sh)]))),
  });
  if (added.length) {
    db.prepare(`${reset('INDEXED BY payments_unverified')} AND verified = 0`).run({ since, floor });
    db.prepare(`${reset()} AND height > @low`).run({ since, floor, low: tipHeight - Math.max(...added) + 1 });
  }
  if (Array.isArray(widened)) {
    if (widened.length) db.prepare(`${reset()} AND ${byAddress}`).run({ since, floor, ...listed(widened) });
  } else {
    db.prepare(`${reset()} AND NOT ${byAddress}`).run({ since, floor, ...listed(widened.except) });
  }
}

export function deleteAgent(db: DB, id: string, now: number): void {
  const cur = mustAgent(db, id);
  // The name is freed for a new agent; the row stays for the delivery log.
  db.prepare('UPDATE agents SET deleted_at = ?, enabled = 0, name = ? WHERE id = ?').run(now, `${cur.name}\u0000deleted:${id}`, id);
  db.prepare(
    "UPDATE deliveries SET state = 'FAILURE', ended_at = ?, next_attempt_at = NULL WHERE agent_id = ? AND state IN ('PENDING', 'RETRY')",
  ).run(now, id);
}

export function rotateToken(db: DB, id: string, token: string | undefined): string {
  mustAgent(db, id);
  const t = token ?? crypto.randomBytes(16).toString('hex');
  db.prepare('UPDATE agents SET token = ? WHERE id = ?').run(t, id);
  return t;
}
