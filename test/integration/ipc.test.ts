import { afterEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { contract } from '../../src/shared/contract.ts';
import { ipcChannel } from '../../src/shared/ipc.ts';
import { createIpcHandlers } from '../../src/node/ipc.ts';
import { isOwnPage } from '../../src/main/policy.ts';
import { openDatabase } from '../../src/node/store/sqlite.ts';
import { Satdesk } from '../../src/node/service.ts';
import { tempDir } from '../helpers/api.ts';

// The IPC glue is plain Node (src/main only registers these handlers), so it is tested here with a real store.
const ROOT = '/opt/Satdesk/resources/app.asar/out/renderer';
const trusted = (url: string | null): boolean => isOwnPage(url, { indexFile: `${ROOT}/index.html`, devOrigin: 'http://localhost:5173', platform: 'linux' });
const own = { frameUrl: `file://${ROOT}/index.html` };

let close: (() => void) | null = null;
afterEach(() => close?.());

function service(): Satdesk {
  const dir = tempDir();
  const db = openDatabase(path.join(dir, 'satdesk.sqlite'));
  close = () => db.close();
  return new Satdesk({ db, dataDir: dir, network: 'regtest' });
}

describe('IPC handlers generated from the contract', () => {
  it('registers exactly one handler per contract method', () => {
    const handlers = createIpcHandlers(service(), trusted);
    expect([...handlers.keys()].sort()).toEqual(Object.keys(contract).map((n) => ipcChannel(n as keyof typeof contract)).sort());
  });

  it('accepts only the app’s own frames', async () => {
    const h = createIpcHandlers(service(), trusted).get(ipcChannel('sysinfo'))!;
    expect((await h(own, undefined)).ok).toBe(true);
    expect((await h({ frameUrl: 'http://localhost:5173/' }, undefined)).ok).toBe(true);
    for (const frameUrl of ['https://evil.example/', 'file:///tmp/evil.html', `file://${ROOT}/../../evil.html`.replace('/../..', '-evil'), null, 'not a url']) {
      const r = await h({ frameUrl }, undefined);
      expect(r).toEqual({ ok: false, error: { code: 'unauthorized', message: 'IPC from an untrusted frame was refused.' } });
    }
  });

  it('validates payloads with the contract schemas and answers errors as values', async () => {
    const s = service();
    const handlers = createIpcHandlers(s, trusted);
    const create = handlers.get(ipcChannel('createInvoice'))!;
    expect(await create(own, 'string payload')).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(await create(own, { body: { amount_sats: 1000, evil: 1 } })).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(await create(own, { body: { amount_sats: -5 } })).toMatchObject({ ok: false, error: { code: 'invalid_amount' } });
    expect(await create(own, { body: { amount_sats: 1000 } })).toMatchObject({ ok: false, error: { code: 'pool_exhausted' } });
    expect(await create(own, { sneaky: true })).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    const add = handlers.get(ipcChannel('addAddresses'))!;
    const r = await add(own, { body: { addresses: ['bcrt1qn7d2x7272lznt5hhk9s07q3cqnrqljnwladrd3'] } });
    expect(r).toMatchObject({ ok: true, result: { results: [{ result: 'added' }] } });
    const ok = await create(own, { body: { amount_sats: 1000 }, headers: { 'idempotency-key': 'k1' } });
    expect(ok).toMatchObject({ ok: true, result: { status: 'unpaid', amount_sats: 1000 } });
    const get = handlers.get(ipcChannel('getInvoice'))!;
    expect(await get(own, { params: { id: 'missing' } })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(s.db.prepare('SELECT COUNT(*) AS n FROM invoices').get()).toEqual({ n: 1 });
  });
});
