/**
 * The XMPP sender (docs/spec/callbacks.md#format-xmpp): one client connection with the account in settings (xmpp.jid,
 * password, service), opened when a message is due and kept while settings stay the same. A message counts as
 * delivered when the server accepted it on an authenticated stream; any error or the agent's timeout is a failed
 * attempt, retried on the same schedule as HTTP callbacks.
 */
import type { XmppClient } from '@xmpp/client';

// Loaded on the first XMPP message: most shops never use XMPP, and the library costs ~100 ms at every start.
let lib: Promise<typeof import('@xmpp/client')> | null = null;
const loadXmpp = (): Promise<typeof import('@xmpp/client')> => (lib ??= import('@xmpp/client'));

export interface XmppAccount {
  jid: string | null;
  password: string | null;
  service: string | null;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: timeout after ${ms / 1000} s`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export class XmppLink {
  private conn: XmppClient | null = null;
  private key = '';
  private online: Promise<void> | null = null;

  constructor(private readonly account: () => XmppAccount) {}

  private async connect(timeoutMs: number): Promise<void> {
    const { client } = await loadXmpp();
    const acc = this.account();
    if (!acc.jid || !acc.password) throw new Error('no XMPP account set (settings xmpp.jid and xmpp.password)');
    const key = `${acc.jid}\n${acc.password}\n${acc.service ?? ''}`;
    if (this.conn && this.key === key && this.online) return this.online;
    void this.close();
    const at = acc.jid.indexOf('@');
    const username = acc.jid.slice(0, at);
    const domain = acc.jid.slice(at + 1).split('/')[0]!;
    const c = client({ service: acc.service ?? `xmpp://${domain}:5222`, domain, username, password: acc.password, resource: 'satdesk' });
    c.reconnect.stop(); // we reconnect on demand, at the next due message
    c.on('error', () => {});
    c.on('offline', () => {
      if (this.conn === c) {
        this.conn = null;
        this.online = null;
      }
    });
    this.conn = c;
    this.key = key;
    this.online = withTimeout(c.start(), timeoutMs, 'XMPP connect').then(
      () => undefined,
      (e: Error) => {
        if (this.conn === c) {
          this.conn = null;
          this.online = null;
        }
        void c.stop().catch(() => {});
        throw e;
      },
    );
    return this.online;
  }

  async send(to: string, text: string, timeoutMs: number): Promise<void> {
    await this.connect(timeoutMs);
    const { xml } = await loadXmpp();
    const c = this.conn;
    if (!c) throw new Error('XMPP connection lost');
    try {
      await withTimeout(c.send(xml('message', { to, type: 'chat' }, xml('body', {}, text))), timeoutMs, 'XMPP send');
    } catch (e) {
      void this.close();
      throw e;
    }
  }

  async close(): Promise<void> {
    const c = this.conn;
    this.conn = null;
    this.online = null;
    if (c) await c.stop().catch(() => {});
  }
}
