/**
 * The XMPP sender (docs/spec/callbacks.md#format-xmpp): one client connection with the account in settings (xmpp.jid,
 * password, service), opened when a message is due and kept while settings stay the same. A message counts as
 * delivered when the server accepted it on an authenticated stream; any error or the agent's timeout is a failed
 * attempt, retried on the same schedule as HTTP callbacks.
 */
import type { XmppClient } from '@xmpp/client';
import { SatdeskError } from '../../core/errors.ts';
import { isLoopbackHost } from '../http/auth.ts';

// Loaded on the first XMPP message: most shops never use XMPP, and the library costs ~100 ms at every start.
let lib: Promise<typeof import('@xmpp/client')> | null = null;
const loadXmpp = (): Promise<typeof import('@xmpp/client')> => (lib ??= import('@xmpp/client'));

export interface XmppAccount {
  jid: string | null;
  password: string | null;
  service: string | null;
  plaintext_loopback: boolean;
}

const JID = /^[^@\s/]{1,1023}@[^@\s/]{1,1023}(\/\S{1,1023})?$/;

/** Checks the settings' XMPP account; throws invalid_request with the field named. */
export function checkXmppAccount(acc: XmppAccount): void {
  if (acc.jid !== null && !JID.test(acc.jid)) throw new SatdeskError('invalid_request', 'xmpp.jid must look like user@domain');
  let host: string | null = null;
  if (acc.service !== null) {
    let u: URL;
    try {
      u = new URL(acc.service);
    } catch {
      throw new SatdeskError('invalid_request', 'xmpp.service must be xmpp://host:port or xmpps://host:port');
    }
    if ((u.protocol !== 'xmpp:' && u.protocol !== 'xmpps:') || !u.hostname || u.username || u.password || (u.pathname && u.pathname !== '/') || u.search || u.hash) {
      throw new SatdeskError('invalid_request', 'xmpp.service must be xmpp://host:port or xmpps://host:port');
    }
    host = u.hostname;
  }
  if (acc.plaintext_loopback && (host === null || !isLoopbackHost(host))) {
    throw new SatdeskError('invalid_request', 'xmpp.plaintext_loopback is allowed only with a loopback xmpp.service (127.0.0.1, ::1 or localhost)');
  }
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
    const key = `${acc.jid}\n${acc.password}\n${acc.service ?? ''}\n${acc.plaintext_loopback}`;
    if (this.conn && this.key === key && this.online) return this.online;
    void this.close();
    const at = acc.jid.indexOf('@');
    const username = acc.jid.slice(0, at);
    const domain = acc.jid.slice(at + 1).split('/')[0]!;
    const service = acc.service ?? `xmpp://${domain}:5222`;
    const plaintextOk = acc.plaintext_loopback && isLoopbackHost(new URL(service).hostname);
    const password = acc.password;
    const c = client({
      service,
      domain,
      username,
      resource: 'satdesk',
      // The library waits 2 s by default for each stream step (open, STARTTLS, restart); a loaded machine or a far
      // server can take longer, and the agent's timeout already bounds the whole attempt.
      timeout: timeoutMs,
      // Called before any SASL step: the place to refuse a stream that is not encrypted.
      credentials: async (authenticate, mechanisms, _fast, entity) => {
        const secure = entity.isSecure();
        if (!secure && !plaintextOk) {
          throw new Error(`XMPP server ${service} offered no TLS (STARTTLS); the password is not sent without it`);
        }
        const mechanism = secure ? mechanisms[0] : mechanisms.find((m) => m !== 'PLAIN');
        if (!mechanism) throw new Error('XMPP: no SASL mechanism to use without TLS');
        await authenticate({ username, password }, mechanism);
      },
    });
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
