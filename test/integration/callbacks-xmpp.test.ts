/**
 * XMPP agents (docs/spec/callbacks.md#format-xmpp) against a real prosody on loopback (throwaway config, run as the prosody user). A second
 * @xmpp/client account receives the messages. Without prosody the test fails, unless SATDESK_SKIP_XMPP=1.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
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

const missing = !hasCommand('prosody') || !hasCommand('prosodyctl') || !hasCommand('runuser');
const skip = missing && process.env.SATDESK_SKIP_XMPP === '1';
if (skip) console.warn('callbacks-xmpp: SKIPPED (SATDESK_SKIP_XMPP=1): prosody, prosodyctl or runuser is not installed');

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

let prosody: ChildProcess | null = null;
let port = 0;
let dir = '';
let app: App;
let api: ApiClient;
let shop: XmppClient | null = null;
const inbox: { from: string; body: string }[] = [];

describe.skipIf(skip)('xmpp agents (real prosody)', () => {
  beforeAll(async () => {
    if (missing) {
      throw new Error('prosody is not installed: run .ci/install-system-packages.sh (apt-get install prosody), or set SATDESK_SKIP_XMPP=1 to skip');
    }
    port = await freePort();
    dir = tempDir('satdesk-prosody-');
    fs.mkdirSync(path.join(dir, 'data'));
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
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
authentication = "internal_plain"
modules_enabled = { "roster", "saslauth", "disco", "ping" }
modules_disabled = { "s2s", "tls" }
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
    shop = client({ service: `xmpp://127.0.0.1:${port}`, domain: 'localhost', username: 'shop', password: 'shop-pw', resource: 'test' });
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
    if (prosody && prosody.exitCode === null) {
      prosody.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 200));
      if (prosody.exitCode === null) prosody.kill('SIGKILL');
    }
  });

  it('sends a short message per threshold to the agent jid; without an account the attempt fails and is retried', async () => {
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
    const set = await api.call('PATCH', '/settings', { xmpp: { jid: 'merchant@localhost', password: 'merchant-pw', service: `xmpp://127.0.0.1:${port}` } });
    expect(set.status).toBe(200);
    await until(() => inbox.length >= 1, 'the 0-confirmation message', 10_000);
    expect(inbox[0]!.from).toMatch(/^merchant@localhost/);
    expect(inbox[0]!.body).toBe(`Payment 0.00100000 BTC to ${inv.address} — unconfirmed (0 confirmations) — order-77 — tx ${p.txid}`);
    confirm(app.service, p.id, 11, 11);
    await until(() => inbox.length >= 2, 'the 1-confirmation message', 10_000);
    expect(inbox[1]!.body).toBe(`Payment 0.00100000 BTC to ${inv.address} — 1 confirmation — order-77 — tx ${p.txid}`);
    const list = await until(async () => {
      const l = (await api.get(`/deliveries?agent=${agent.id}`)).body.deliveries as any[];
      return l.length === 2 && l.every((d) => d.state === 'SUCCESS') ? l : null;
    }, 'both SUCCESS');
    expect(list.map((d) => d.threshold)).toEqual([1, 0]);
    expect(list[1].attempts.map((a: any) => a.state)).toEqual(['RETRY', 'SUCCESS']);
    // The test message goes out too.
    await api.post(`/agents/${agent.id}/test`);
    await until(() => inbox.length >= 3, 'the test message', 10_000);
    expect(inbox[2]!.body).toMatch(/^TEST from Satdesk, not a payment: Payment 0\.00000000 BTC to bcrt1q.* — satdesk-test — tx 0{64}$/);
  });
});
