/**
 * Every route × every role over real HTTP (docs/counter.md): the owner reaches everything, a cashier only the
 * selling routes, a display only its till's current sale; anything else is 403 `forbidden` and changes nothing,
 * and no token at all is 401. Cashier and display tokens are real ones, paired with a one-time code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, ApiClient } from '../helpers/api.ts';
import type { App } from '../../src/node/app.ts';
import { contract, type MethodDef, type MethodName } from '../../src/shared/contract.ts';
import { ROLES, type Role } from '../../src/shared/contract-counter.ts';

let app: App;
let owner: ApiClient;
const clients = {} as Record<Role, ApiClient>;
let anonymous: ApiClient;

async function paired(role: Role, tillId: string | null): Promise<ApiClient> {
  const made = await owner.post('/tokens', { name: `${role} device`, role, till_id: tillId });
  expect(made.status).toBe(201);
  const r = await new ApiClient(owner.base, null).post('/pair', { code: made.body.pairing.code });
  expect(r.status).toBe(200);
  return new ApiClient(owner.base, r.body.token);
}

beforeAll(async () => {
  ({ app, api: owner } = await startTestApp());
  const till = (await owner.get('/tills')).body.tills[0].id as string;
  clients.owner = owner;
  clients.cashier = await paired('cashier', null);
  clients.display = await paired('display', till);
  anonymous = new ApiClient(owner.base, null);
});
afterAll(async () => {
  await app?.close();
});

const methods = Object.entries(contract) as [MethodName, MethodDef][];
const pathOf = (def: MethodDef): string => def.http.path.replace(/:(\w+)/g, 'x');
// Bodies that pass no schema: an allowed role gets 400/404, never 401/403; nothing is created.
const bodyOf = (def: MethodDef): unknown => (def.http.method === 'GET' || def.http.method === 'DELETE' ? undefined : { unknown_key: 1 });

describe.each(ROLES)('as %s', (role) => {
  it.each(methods.filter(([, d]) => d.http.auth !== false))('%s', async (name, def) => {
    const allowed = (def.roles ?? ['owner']).includes(role);
    const r = await clients[role].call(def.http.method, pathOf(def), bodyOf(def));
    if (allowed) expect([401, 403], `${name} should be open to ${role}`).not.toContain(r.status);
    else {
      expect(r.status, `${name} should be refused to ${role}`).toBe(403);
      expect(r.body.error.code).toBe('forbidden');
    }
  });
});

describe('without a token', () => {
  it('every authenticated route answers 401; pairing, receipts and health answer without one', async () => {
    for (const [name, def] of methods) {
      const r = await anonymous.call(def.http.method, pathOf(def), bodyOf(def));
      if (def.http.auth === false) expect([401, 403], name).not.toContain(r.status);
      else expect(r.status, name).toBe(401);
    }
  });
});

describe('routes outside the table', () => {
  it('the event stream is the owner\u2019s only', async () => {
    for (const role of ['cashier', 'display'] as const) {
      const r = await fetch(`${owner.base}/api/v1/events?token=${encodeURIComponent(clients[role].token!)}`);
      expect(r.status).toBe(403);
      await r.body?.cancel();
    }
    const ok = await fetch(`${owner.base}/api/v1/events`, { headers: { Authorization: `Bearer ${owner.token}` } });
    expect(ok.status).toBe(200);
    await ok.body?.cancel();
  });

  it('a refused call changes nothing', async () => {
    const before = app.service.db.prepare('SELECT COUNT(*) AS n FROM tills').get();
    const r = await clients.cashier.post('/tills', { name: 'Sneaky' });
    expect(r.status).toBe(403);
    expect(app.service.db.prepare('SELECT COUNT(*) AS n FROM tills').get()).toEqual(before);
    const s = await clients.display.call('PATCH', '/settings', { refund_policy: 'none' });
    expect(s.status).toBe(403);
    expect(app.service.settings.refund_policy).toBe('');
  });
});
