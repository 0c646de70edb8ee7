/**
 * The local server as an attacker meets it (docs/security.md): malformed requests over raw sockets, hostile
 * escapes, deep JSON, chunked floods, a page rebinding its DNS to 127.0.0.1, prototype-polluting keys and pasted
 * private keys. Every answer is a 4xx with the error shape — never a 500, a reset or a stack trace in the log —
 * and nothing changes. Plus what already held and must keep holding: no CORS, `?token=` only on /events, the CSP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { payments, networks } from 'bitcoinjs-lib';
import { bip32 } from '../../src/core/ecc.ts';
import { contract } from '../../src/shared/contract.ts';
import { startTestApp, type ApiClient } from '../helpers/api.ts';
import { rawExchange, request } from '../helpers/raw-http.ts';
import type { App } from '../../src/node/app.ts';

const root = bip32.fromSeed(new Uint8Array(32).fill(21), networks.regtest);
const addr = (i: number): string => payments.p2wpkh({ pubkey: root.derivePath(`m/0/${i}`).publicKey, network: networks.regtest }).address!;
const TPRV = root.toBase58();
const PRIVATE_DESCRIPTOR = `wpkh(${TPRV}/0/*)`;

let app: App;
let api: ApiClient;
let port: number;
const logs: string[] = [];

beforeAll(async () => {
  ({ app, api } = await startTestApp({ log: (l) => logs.push(l) }));
  port = app.api!.port;
  await api.post('/addresses', { addresses: [addr(0), addr(1)] });
  await api.call('PATCH', '/settings', { fiat: { currency: 'USD', rates: { USD: '65000', EUR: '60000' } } });
});
afterAll(async () => app.close());

const auth = (): Record<string, string> => ({ Authorization: `Bearer ${app.token}` });
const host = (): string => `127.0.0.1:${port}`;

function expectErrorShape(r: { status: number; json: any }, status: number, code?: string): void {
  expect(r.status).toBe(status);
  expect(r.json?.error?.code).toMatch(code ? new RegExp(`^${code}$`) : /^[a-z_]+$/);
  expect(String(r.json?.error?.message).length).toBeGreaterThan(5);
}

describe('malformed input gets a 4xx with the error shape', () => {
  it('a malformed %-escape on the static route and in every path parameter: 400, nothing logged', async () => {
    for (const p of ['/%ff', '/%', '/%zz/index.html', '/assets/%c0%af%c0%af', '/%00']) {
      const r = await rawExchange(port, [`GET ${p} HTTP/1.1\r\nHost: ${host()}\r\nConnection: close\r\n\r\n`]);
      expectErrorShape(r, 400, 'invalid_request');
    }
    const withParams = Object.values(contract).filter((d) => d.http.path.includes(':'));
    expect(withParams.length).toBeGreaterThanOrEqual(11);
    for (const d of withParams) {
      for (const bad of ['%ff', '%E0%A4%A', 'a%', '%%41']) {
        const p = `/api/v1${d.http.path.replace(/:(\w+)/g, bad)}`;
        const body = d.http.method === 'GET' || d.http.method === 'DELETE' ? '' : '{}';
        const r = await rawExchange(port, [
          `${d.http.method} ${p} HTTP/1.1\r\nHost: ${host()}\r\nAuthorization: Bearer ${app.token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
        ]);
        expectErrorShape(r, 400);
      }
    }
    expect(logs.filter((l) => l.includes('internal error'))).toEqual([]);
  });

  it('20,000-deep JSON, in a body and as a query of nested keys: 400, the server unhurt', async () => {
    const deep = '['.repeat(20_000) + ']'.repeat(20_000);
    const r = await request(api.base, 'POST', '/api/v1/invoices', { ...auth(), 'Content-Type': 'application/json' }, deep);
    expectErrorShape(r, 400, 'invalid_request');
    expect(r.json.error.message).toContain('nested deeper than 64');
    const objs = '{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000);
    expectErrorShape(await request(api.base, 'PATCH', '/api/v1/settings', { ...auth(), 'Content-Type': 'application/json' }, objs), 400);
    // Brackets inside strings do not count: a label full of them is fine.
    const ok = await api.post('/invoices', { amount_sats: 1000, label: '[[[[{{{{'.repeat(20) });
    expect(ok.status).toBe(201);
    await api.post(`/invoices/${ok.body.id}/cancel`);
  });

  it('a chunked upload over 1 MiB gets 413 with the error shape, not a reset; so does a declared one', async () => {
    const chunk = 'x'.repeat(64 * 1024);
    const frames: string[] = [`POST /api/v1/invoices HTTP/1.1\r\nHost: ${host()}\r\nAuthorization: Bearer ${app.token}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`];
    for (let i = 0; i < 24; i++) frames.push(`${(64 * 1024).toString(16)}\r\n${chunk}\r\n`);
    frames.push('0\r\n\r\n');
    const r = await rawExchange(port, frames);
    expect(r.reset).toBe(false);
    expectErrorShape(r, 413, 'payload_too_large');
    const declared = await rawExchange(port, [
      `POST /api/v1/invoices HTTP/1.1\r\nHost: ${host()}\r\nAuthorization: Bearer ${app.token}\r\nContent-Length: 50000000\r\n\r\n`,
      chunk,
    ]);
    expectErrorShape(declared, 413, 'payload_too_large');
    expect((await api.get('/health')).status).toBe(200);
  });

  it('requests the HTTP parser refuses get the error shape too', async () => {
    const cases = [
      'GARBAGE\r\n\r\n',
      `GET / HTTP/1.1\r\nHost: ${host()}\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      `POST /api/v1/invoices HTTP/1.1\r\nHost: ${host()}\r\nAuthorization: Bearer ${app.token}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n`,
      `GET /api/v1/health HTTP/1.1\r\nHost: ${host()}\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      `GET /api/v1/health HTTP/1.1\r\nHost: ${host()}\r\nBad Header\r\n\r\n`,
      `GET http://[ HTTP/1.1\r\nHost: ${host()}\r\n\r\n`,
    ];
    for (const c of cases) {
      const r = await rawExchange(port, [c]);
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
      expect(r.json?.error?.code).toBe('invalid_request');
    }
  });

  it('property: random paths, headers and chunkings over raw sockets never get a 500 or no answer', async () => {
    const segment = fc.oneof(
      fc.constantFrom('%', '%f', '%ff', '%zz', '%00', '%2e%2e', '..', '.', '', '%c0%af', '%E2%82', '%25', 'invoices', 'agents', 'x', ';', '~', '%20'),
      fc.stringMatching(/^[A-Za-z0-9._~%!$&'()*+,;=:@-]{0,12}$/),
    );
    const target = fc.oneof(
      fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => '/' + s.join('/')),
      fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => '/api/v1/' + s.join('/')),
      fc.constantFrom(...Object.values(contract).map((d) => '/api/v1' + d.http.path)).chain((p) =>
        segment.map((s) => p.replace(/:(\w+)/g, s || 'x')),
      ),
      fc.tuple(fc.constantFrom('/api/v1/invoices', '/api/v1/events', '/'), fc.stringMatching(/^[A-Za-z0-9%=&+._-]{0,30}$/)).map(([p, q]) => `${p}?${q}`),
    );
    const method = fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'TRACE', 'FOO');
    const hostHeader = fc.constantFrom(host(), `localhost:${port}`, `[::1]:${port}`, 'evil.example', `127.0.0.1:${port}.evil.example`, '', '%zz', `127.0.0.1:99999`);
    const extraHeader = fc.tuple(
      fc.constantFrom('Origin', 'Last-Event-ID', 'Idempotency-Key', 'X-Satdesk-Anything', 'Content-Type', 'Accept-Encoding', 'Expect', 'Cookie'),
      fc.stringMatching(/^[ -~]{0,40}$/),
    );
    const body = fc.oneof(fc.constant(''), fc.json({ maxDepth: 3 }), fc.string({ maxLength: 200 }), fc.constantFrom('{"__proto__":{"x":1}}', '{"amount_sats":1000}', '[[[[[[[[[['));
    const chunking = fc.oneof(fc.constant('length' as const), fc.constant('chunked' as const), fc.constant('none' as const));
    const splits = fc.array(fc.integer({ min: 1, max: 64 }), { maxLength: 6 });
    let n = 0;
    await fc.assert(
      fc.asyncProperty(method, target, hostHeader, fc.boolean(), fc.array(extraHeader, { maxLength: 3 }), body, chunking, splits, async (m, t, h, withAuth, extra, b, framing, cuts) => {
        const headers = [`Host: ${h}`];
        if (withAuth) headers.push(`Authorization: Bearer ${app.token}`);
        for (const [k, v] of extra) headers.push(`${k}: ${v}`);
        let payload = '';
        const bytes = Buffer.from(b, 'utf8');
        if (framing === 'length') {
          headers.push(`Content-Length: ${bytes.length}`);
          payload = b;
        } else if (framing === 'chunked') {
          headers.push('Transfer-Encoding: chunked');
          let rest = bytes;
          for (const c of cuts) {
            if (!rest.length) break;
            const part = rest.subarray(0, c);
            rest = rest.subarray(c);
            payload += `${part.length.toString(16)}\r\n${part.toString('utf8')}\r\n`;
          }
          if (rest.length) payload += `${rest.length.toString(16)}\r\n${rest.toString('utf8')}\r\n`;
          payload += '0\r\n\r\n';
        }
        headers.push('Connection: close');
        const raw = `${m} ${t} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n${payload}`;
        // Write it in pieces: the parser must cope with any split.
        const pieces: string[] = [];
        let i = 0;
        for (const c of cuts) {
          if (i >= raw.length) break;
          pieces.push(raw.slice(i, i + c * 7));
          i += c * 7;
        }
        pieces.push(raw.slice(i));
        const r = await rawExchange(port, pieces, { timeoutMs: 5000 });
        n++;
        if (m === 'HEAD' && r.status >= 200 && r.status < 400) return; // no body by design
        expect(r.status, `${m} ${t} Host:${h}`).toBeGreaterThanOrEqual(200);
        expect(r.status, `${m} ${t} Host:${h}`).toBeLessThan(500);
        if (r.status >= 400 && m !== 'HEAD') expect(r.json?.error?.code, `${m} ${t}`).toMatch(/^[a-z_]+$/);
      }),
      { numRuns: 400 },
    );
    expect(n).toBe(400);
    expect(logs.filter((l) => l.includes('internal error'))).toEqual([]);
    expect((await api.get('/health')).status).toBe(200);
  }, 120_000);
});

describe('DNS rebinding: Host and Origin allow-list', () => {
  it('a rebound name is answered 421 on /health, the console and the API (even with the token)', async () => {
    for (const [p, h] of [['/api/v1/health', {}], ['/', {}], ['/api/v1/sysinfo', auth()], ['/api/v1/events', auth()]] as const) {
      const r = await request(api.base, 'GET', p, { ...h, Host: `attacker.example:${port}` });
      expectErrorShape(r, 421, 'host_not_allowed');
      expect(r.body).not.toContain('<html');
    }
    // Nameless, malformed, or a loopback address hiding in a longer name: refused too.
    for (const h of [`127.0.0.1.nip.io:${port}`, 'localhost.attacker.example', `${host()}@evil`, '']) {
      expect((await request(api.base, 'GET', '/api/v1/health', { Host: h })).status).toBe(421);
    }
  });

  it('loopback names with any port are this server; a browser Origin must be this same server', async () => {
    for (const h of [host(), `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`, '127.0.0.1']) {
      expect((await request(api.base, 'GET', '/api/v1/health', { Host: h })).status).toBe(200);
    }
    const same = await request(api.base, 'GET', '/api/v1/sysinfo', { ...auth(), Host: host(), Origin: `http://${host()}` });
    expect(same.status).toBe(200);
    // Counted before and after: the fuzz above may have made a 1,000-sat invoice of its own (a valid request).
    const made = (): number => (app.db.prepare('SELECT COUNT(*) AS n FROM invoices WHERE amount_sats = 1000 AND status <> ?').get('cancelled') as { n: number }).n;
    const before = made();
    for (const origin of ['http://attacker.example', `http://localhost:${port + 1}`, 'null', 'file://', `https://${host()}.evil`]) {
      const r = await request(api.base, 'POST', '/api/v1/invoices', { ...auth(), Host: host(), Origin: origin, 'Content-Type': 'application/json' }, '{"amount_sats":1000}');
      expectErrorShape(r, 403, 'origin_not_allowed');
    }
    expect(made()).toBe(before);
  });

  it('what held before still holds: no CORS, ?token= only on /events, a strict CSP', async () => {
    const pre = await request(api.base, 'OPTIONS', '/api/v1/invoices', { Host: host(), Origin: `http://${host()}`, 'Access-Control-Request-Method': 'POST' });
    expect(pre.status).toBeGreaterThanOrEqual(400);
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    expect((await request(api.base, 'GET', `/api/v1/sysinfo?token=${app.token}`, { Host: host() })).status).toBe(401);
    const page = await request(api.base, 'GET', '/', { Host: host() });
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('one-time login codes', () => {
  it('each console link works once; a wrong, reused or malformed code gets 401 and no token', async () => {
    const link = new URL(app.consoleUrl!);
    expect(link.search).toMatch(/^\?login=[a-z0-9]{26}$/);
    expect(link.href).not.toContain(app.token);
    const code = link.searchParams.get('login')!;
    const login = (body: string) => request(api.base, 'POST', '/api/v1/login', { Host: host(), 'Content-Type': 'application/json' }, body);
    expect((await login(JSON.stringify({ code }))).json).toEqual({ token: app.token });
    for (const b of [JSON.stringify({ code }), JSON.stringify({ code: code.replace(/.$/, 'x') }), '{"code":42}', '{}', 'not json', '[[[[']) {
      const r = await login(b);
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(r.body).not.toContain(app.token);
    }
    expect((await request(api.base, 'GET', '/api/v1/login', { Host: host() })).status).toBe(405);
    expect((await login(JSON.stringify({ code: new URL(app.consoleUrl!).searchParams.get('login') }))).status).toBe(200);
  });
});

describe('hostile keys and pasted private keys', () => {
  it('{"__proto__": "1"} as the rates is refused and the rates stay; so is any __proto__/constructor/prototype key', async () => {
    for (const body of [
      '{"fiat":{"rates":{"__proto__":"1"}}}',
      '{"fiat":{"rates":{"constructor":"1"}}}',
      '{"invoice":{"prototype":{"x":1}}}',
      '{"__proto__":{"refund_policy":"pwned"}}',
    ]) {
      const r = await request(api.base, 'PATCH', '/api/v1/settings', { ...auth(), Host: host(), 'Content-Type': 'application/json' }, body);
      expectErrorShape(r, 400, 'invalid_request');
    }
    const s = (await api.get('/settings')).body;
    expect(s.fiat.rates).toEqual({ USD: '65000', EUR: '60000' });
    expect(s.refund_policy).toBe('');
    const agent = await request(api.base, 'POST', '/api/v1/agents', { ...auth(), Host: host(), 'Content-Type': 'application/json' }, '{"name":"a","url":"http://127.0.0.1:9/","__proto__":{"enabled":false}}');
    expectErrorShape(agent, 400, 'invalid_request');
  });

  it('a private descriptor pasted anywhere is refused and never echoed', async () => {
    const added = await api.post('/addresses', { addresses: [PRIVATE_DESCRIPTOR, `  ${TPRV}  `] });
    expect(added.status).toBe(200);
    expect(added.body.results.map((x: { result: string }) => x.result)).toEqual(['invalid', 'invalid']);
    expect(JSON.stringify(added.body)).not.toContain(TPRV);
    expect(JSON.stringify(added.body)).not.toContain(TPRV.slice(4, 40));
    for (const [method, p, body] of [
      ['POST', '/invoices', { amount_sats: 1000, label: `backup ${TPRV}` }],
      ['PATCH', '/settings', { refund_policy: `keys: ${PRIVATE_DESCRIPTOR}` }],
      ['POST', '/agents', { name: 'x', url: 'http://127.0.0.1:9/', token: TPRV }],
      ['PUT', '/wallet', { xpub: PRIVATE_DESCRIPTOR }],
    ] as const) {
      const r = await api.call(method, p, body);
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('private_key_refused');
      expect(JSON.stringify(r.body)).not.toContain(TPRV.slice(4, 40));
    }
    const text = JSON.stringify([app.db.prepare('SELECT * FROM settings').all(), app.db.prepare('SELECT label FROM invoices').all()]);
    expect(text).not.toContain(TPRV);
  });
});
