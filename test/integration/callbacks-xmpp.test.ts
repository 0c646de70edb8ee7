/**
 * XMPP agents (docs/spec/callbacks.md#format-xmpp) against a real prosody on loopback (throwaway config and a
 * throwaway certificate, run as the prosody user). A second @xmpp/client account receives the messages. Satdesk
 * reaches prosody through loopback TCP taps that record what the client sends: one passes everything through, one
 * plays a man in the middle that strips STARTTLS from the stream features (docs/security.md#xmpp). Without prosody
 * the test fails, unless SATDESK_SKIP_XMPP=1.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, xml, type XmppClient, type XmppElement } from '@xmpp/client';
import { startTestApp, tempDir, type ApiClient } from '../helpers/api.ts';
import { addPayment, confirm, until, VPUB } from '../helpers/callbacks.ts';
import type { App } from '../../src/node/app.ts';

function hasCommand(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const missing = !hasCommand('prosody') || !hasCommand('prosodyctl') || !hasCommand('runuser') || !hasCommand('openssl');
const skip = missing && process.env.SATDESK_SKIP_XMPP === '1';
if (skip) console.warn('callbacks-xmpp: SKIPPED (SATDESK_SKIP_XMPP=1): prosody, prosodyctl, runuser or openssl is not installed');

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

interface Tap {
  port: number;
  /** Everything clients sent through this tap, as text. */
  sent(): string;
  close(): Promise<void>;
}

/**
 * A loopback TCP tap in front of prosody. With `strip`, it removes `<starttls …>` from the server's stream features,
 * as a man in the middle would to keep the session in plaintext.
 */
async function startTap(target: number, strip: boolean): Promise<Tap> {
  let sent = '';
  const sockets = new Set<net.Socket>();
  const server = net.createServer((c) => {
    const s = net.connect(target, '127.0.0.1');
    sockets.add(c).add(s);
    c.on('data', (d: Buffer) => {
      sent += d.toString('latin1');
      s.write(d);
    });
    let pending = '';
    s.on('data', (d: Buffer) => {
      if (!strip) return void c.write(d);
      pending += d.toString('utf8');
      // Hold back a partial features element so the strip sees it whole.
      const open = pending.lastIndexOf('<stream:features');
      if (open >= 0 && pending.indexOf('</stream:features>', open) < 0) return;
      c.write(pending.replace(/<starttls\b[^>]*?(\/>|>[\s\S]*?<\/starttls>)/g, ''));
      pending = '';
    });
    const end = (): void => {
      c.destroy();
      s.destroy();
    };
    c.on('close', end).on('error', end);
    s.on('close', end).on('error', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    sent: () => sent,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

let prosody: ChildProcess | null = null;
let port = 0;
let dir = '';
let app: App;
let api: ApiClient;
let shop: XmppClient | null = null;
let pass: Tap;
let mitm: Tap;
const inbox: { from: string; body: string }[] = [];

describe.skipIf(skip)('xmpp agents (real prosody)', () => {
  beforeAll(async () => {
    if (missing) {
      throw new Error('prosody or openssl is not installed: run .ci/install-system-packages.sh (apt-get install prosody), or set SATDESK_SKIP_XMPP=1 to skip');
    }
    port = await freePort();
    dir = tempDir('satdesk-prosody-');
    fs.mkdirSync(path.join(dir, 'data'));
    // A certificate for "localhost" that this test process (and only it) trusts.
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost',
      '-keyout', path.join(dir, 'localhost.key'), '-out', path.join(dir, 'localhost.crt'),
    ], { stdio: 'pipe' });
    // tls.setDefaultCACertificates is Node ≥ 22.15 (this project tests on Node 24); @types/node here is older.
    const store = tls as unknown as { setDefaultCACertificates(certs: string[]): void; getCACertificates(which: 'default'): string[] };
    store.setDefaultCACertificates([...store.getCACertificates('default'), fs.readFileSync(path.join(dir, 'localhost.crt'), 'utf8')]);
    const cfg = path.join(dir, 'prosody.cfg.lua');
    fs.writeFileSync(
      cfg,
      `pidfile = "${dir}/prosody.pid"
data_path = "${dir}/data"
log = { { levels = { min = "info" }, to = "file", filename = "${dir}/prosody.log" } }
daemonize = false
interfaces = { "127.0.0.1" }
c2s_ports = { ${port} }
s2s_ports = { }
http_ports = { }
https_ports = { }
-- STARTTLS offered but not demanded, and plain auth allowed: the server a stripping attacker would love.
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
authentication = "internal_plain"
ssl = { certificate = "${dir}/localhost.crt"; key = "${dir}/localhost.key"; }
modules_enabled = { "roster", "saslauth", "disco", "ping", "tls" }
modules_disabled = { "s2s" }
VirtualHost "localhost"
`,
    );
    execFileSync('chown', ['-R', 'prosody:prosody', dir]);
    fs.chmodSync(dir, 0o755);
    for (const [user, pw] of [['merchant', 'merchant-pw'], ['shop', 'shop-pw']]) {
      execFileSync('runuser', ['-u', 'prosody', '--', 'prosodyctl', '--config', cfg, 'register', user!, 'localhost', pw!], { stdio: 'pipe' });
    }
    prosody = spawn('runuser', ['-u', 'prosody', '--', 'prosody', '--config', cfg], { stdio: 'ignore' });
    await until(
      () =>
        new Promise<boolean>((resolve) => {
          const s = net.connect(port, '127.0.0.1');
          s.once('connect', () => (s.destroy(), resolve(true)));
          s.once('error', () => resolve(false));
        }),
      'prosody to listen',
      15_000,
    );
    pass = await startTap(port, false);
    mitm = await startTap(port, true);
    // The library waits 2 s per stream step by default; a TLS handshake on a loaded 2-core CI machine can take longer.
    shop = client({ service: `xmpp://127.0.0.1:${port}`, domain: 'localhost', username: 'shop', password: 'shop-pw', resource: 'test', timeout: 15_000 });
    shop.on('error', () => {});
    shop.on('stanza', (st: XmppElement) => {
      if (st.is('message') && st.getChildText('body')) inbox.push({ from: st.attrs.from!, body: st.getChildText('body')! });
    });
    await shop.start();
    await shop.send(xml('presence'));
    ({ app, api } = await startTestApp());
    expect((await api.call('PUT', '/wallet', { xpub: VPUB })).status).toBe(200);
  }, 30_000);

  afterAll(async () => {
    await shop?.stop().catch(() => {});
    await app?.close();
    await pass?.close();
    await mitm?.close();
    if (prosody && prosody.exitCode === null) {
      prosody.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 200));
      if (prosody.exitCode === null) prosody.kill('SIGKILL');
    }
  });

  it('sends a short message per threshold to the agent jid, over STARTTLS; without an account the attempt fails and is retried', async () => {
    const agent = (await api.post('/agents', { name: 'jabber', format: 'xmpp', jid: 'shop@localhost', thresholds: [0, 1], retry: { delays_s: [1, 1, 1] } }))
      .body;
    expect(agent.format).toBe('xmpp');
    const inv = (await api.post('/invoices', { amount_sats: 100_000, userdata: 'order-77' })).body;
    const p = addPayment(app.service, { address: inv.address, sats: 100_000, tip: 10 });
    // No XMPP account in settings yet: a failed attempt, then RETRY.
    const first = await until(async () => {
      const d = (await api.get(`/deliveries?agent=${agent.id}`)).body.deliveries[0];
      return d?.state === 'RETRY' ? d : null;
    }, 'RETRY without an account');
    expect(first.attempts[0].error).toMatch(/no XMPP account/);
    const set = await api.call('PATCH', '/settings', { xmpp: { jid: 'merchant@localhost', password: 'merchant-pw', service: `xmpp://127.0.0.1:${pass.port}` } });
    expect(set.status).toBe(200);
    expect(set.body.xmpp).toEqual({ jid: 'merchant@localhost', service: `xmpp://127.0.0.1:${pass.port}`, password_set: true, plaintext_loopback: false });
    await until(() => inbox.length >= 1, 'the 0-confirmation message', 10_000);
    expect(inbox[0]!.from).toMatch(/^merchant@localhost/);
    expect(inbox[0]!.body).toBe(`Payment 0.00100000 BTC to ${inv.address} — unconfirmed (0 confirmations) — order-77 — tx ${p.txid}`);
    // The session upgraded before authenticating: nothing of SASL ever crossed the wire in clear text.
    expect(pass.sent()).toMatch(/<starttls xmlns=['"]urn:ietf:params:xml:ns:xmpp-tls['"]/);
    expect(pass.sent()).not.toMatch(/<auth\b|<response\b|<authenticate\b/);
    expect(pass.sent()).not.toContain('merchant-pw');
    confirm(app.service, p.id, 11, 11);
    await until(() => inbox.length >= 2, 'the 1-confirmation message', 10_000);
    expect(inbox[1]!.body).toBe(`Payment 0.00100000 BTC to ${inv.address} — 1 confirmation — order-77 — tx ${p.txid}`);
    const list = await until(async () => {
      const l = (await api.get(`/deliveries?agent=${agent.id}`)).body.deliveries as any[];
      return l.length === 2 && l.every((d) => d.state === 'SUCCESS') ? l : null;
    }, 'both SUCCESS');
    expect(list.map((d) => d.threshold)).toEqual([1, 0]);
    expect(list[1].attempts.map((a: any) => a.state)).toEqual(['RETRY', 'SUCCESS']);
    // The test message goes out too, and says it is one.
    await api.post(`/agents/${agent.id}/test`);
    await until(() => inbox.length >= 3, 'the test message', 10_000);
    expect(inbox[2]!.body).toMatch(/^TEST from Satdesk, not a payment: Payment 0\.00000000 BTC to bcrt1q.* — satdesk-test — tx 0{64}$/);
  });

  it('a man in the middle stripping STARTTLS gets no SCRAM proof and no password; the attempt fails saying why', async () => {
    const agent = (await api.get('/agents')).body.agents.find((a: any) => a.name === 'jabber');
    await api.call('PATCH', '/settings', { xmpp: { service: `xmpp://127.0.0.1:${mitm.port}` } });
    const before = inbox.length;
    const t = await api.post(`/agents/${agent.id}/test`);
    const failed = await until(async () => {
      const d = (await api.get(`/deliveries/${t.body.id}`)).body;
      return d.attempts.length >= 1 ? d : null;
    }, 'an attempt through the stripping proxy');
    expect(failed.attempts[0].error).toMatch(/offered no TLS \(STARTTLS\); the password is not sent without it/);
    // The proxy saw the stream open and nothing of SASL: no <auth>, no SCRAM client-final <response>.
    expect(mitm.sent()).toContain('<stream:stream');
    expect(mitm.sent()).not.toMatch(/<auth\b|<response\b|<authenticate\b|<starttls\b/);
    expect(mitm.sent()).not.toContain(Buffer.from('merchant-pw').toString('base64'));
    expect(inbox.length).toBe(before);
  });

  it('plaintext is the merchant’s explicit choice, for a loopback service only', async () => {
    const bad = await api.call('PATCH', '/settings', { xmpp: { service: 'xmpp://chat.example.org:5222', plaintext_loopback: true } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('xmpp.plaintext_loopback is allowed only with a loopback xmpp.service');
    for (const body of [{ jid: 'no-at-sign' }, { service: 'http://127.0.0.1:5222' }, { service: 'xmpp://user:pw@127.0.0.1:5222' }]) {
      expect((await api.call('PATCH', '/settings', { xmpp: body })).status).toBe(400);
    }
    const ok = await api.call('PATCH', '/settings', { xmpp: { service: `xmpp://127.0.0.1:${mitm.port}`, plaintext_loopback: true } });
    expect(ok.status).toBe(200);
    const agent = (await api.get('/agents')).body.agents.find((a: any) => a.name === 'jabber');
    const before = inbox.length;
    await api.post(`/agents/${agent.id}/test`);
    await until(() => inbox.length > before, 'a plaintext loopback message', 10_000);
    // Even in plaintext, never the PLAIN mechanism (the password itself) when a challenge-response one exists.
    expect(mitm.sent()).toMatch(/<auth\b[^>]*mechanism=['"]SCRAM-SHA-1['"]/);
    expect(mitm.sent()).not.toContain(Buffer.from('\0merchant\0merchant-pw').toString('base64'));
  });
});
