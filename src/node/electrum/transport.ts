/**
 * The byte stream under an Electrum connection: TCP (with the chosen IP family) or SOCKS5 (Tor, one circuit per
 * server), then TLS with CA verification or a pinned certificate fingerprint. Every connection Satdesk makes to an
 * Electrum server — the watcher's, a lag or tip probe's — opens here, so none can bypass the proxy or the family.
 */
import net from 'node:net';
import tls from 'node:tls';
import { ElectrumConnectError, ElectrumTlsError } from './errors.ts';
import { socks5Connect, type ProxyConfig } from './socks.ts';
import { formatServerUrl, type ServerUrl } from './url.ts';

export type IpFamily = 0 | 4 | 6;

export interface TransportOptions {
  server: ServerUrl;
  /** 4 or 6 forces the address family; 0 lets Node pick (happy eyeballs). Through a proxy the proxy resolves. */
  family: IpFamily;
  proxy?: ProxyConfig | undefined;
  connectTimeoutMs: number;
  /** Extra CA certificates for normal TLS verification (tests, private CAs). */
  ca?: string | Buffer | Array<string | Buffer> | undefined;
  /** Told about every socket as soon as it exists, so the caller can destroy it on its own timeout. */
  track: (s: net.Socket) => void;
  /** Why the caller gave up, if it did (used in error messages for a socket closed under us). */
  closeReason: () => string | null;
}

/** Opens the stream and, for ssl://, completes and checks TLS before anything is written. */
export async function openTransport(o: TransportOptions): Promise<net.Socket> {
  const label = formatServerUrl(o.server);
  const { host, port } = o.server;
  let raw: net.Socket;
  if (o.proxy) {
    try {
      raw = await socks5Connect(o.proxy, host, port, o.connectTimeoutMs, formatServerUrl(o.server, true));
    } catch (e) {
      throw new ElectrumConnectError(`cannot reach ${label} through the proxy: ${(e as Error).message}`);
    }
    o.track(raw);
  } else {
    const literal = net.isIP(host);
    if (o.family !== 0 && literal !== 0 && literal !== o.family) {
      throw new ElectrumConnectError(`cannot connect to ${label}: ${host} is not an IPv${o.family} address (ip-family ipv${o.family})`);
    }
    raw = await new Promise<net.Socket>((resolve, reject) => {
      const opts: net.NetConnectOpts = { host, port };
      if (o.family !== 0) opts.family = o.family;
      const s = net.connect(opts);
      const onErr = (e: NodeJS.ErrnoException) => {
        s.destroy();
        reject(new ElectrumConnectError(`cannot connect to ${label}: ${e.code ?? e.message}`));
      };
      const onClose = () => reject(new ElectrumConnectError(`cannot connect to ${label}: ${o.closeReason() ?? 'closed'}`));
      s.once('error', onErr);
      s.once('close', onClose);
      s.once('connect', () => {
        s.removeListener('error', onErr);
        s.removeListener('close', onClose);
        resolve(s);
      });
      o.track(s);
    });
  }
  raw.setNoDelay(true);
  raw.setKeepAlive(true, 30_000);
  // Errors of the TCP socket must never go unhandled: the caller's handlers (or, under TLS, the TLS socket) report
  // the failure itself.
  raw.on('error', () => {});
  if (o.server.protocol !== 'ssl') return raw;
  return startTls(raw, o, label);
}

function startTls(raw: net.Socket, o: TransportOptions, label: string): Promise<tls.TLSSocket> {
  const { host, fingerprint } = o.server;
  return new Promise((resolve, reject) => {
    const opts: tls.ConnectionOptions = { socket: raw, rejectUnauthorized: fingerprint === undefined };
    if (net.isIP(host) === 0) opts.servername = host;
    if (o.ca !== undefined) opts.ca = o.ca;
    raw.resume();
    const t = tls.connect(opts);
    o.track(t);
    const onErr = (e: NodeJS.ErrnoException) => {
      t.destroy();
      reject(new ElectrumTlsError(`TLS with ${label} failed: ${e.code ?? ''} ${e.message}`.replace(/\s+/g, ' ')));
    };
    const onClose = () => reject(new ElectrumTlsError(`TLS with ${label} failed: ${o.closeReason() ?? 'connection closed during the TLS handshake'}`));
    t.once('error', onErr);
    t.once('close', onClose);
    t.once('secureConnect', () => {
      t.removeListener('error', onErr);
      t.removeListener('close', onClose);
      if (fingerprint !== undefined) {
        const got = (t.getPeerCertificate()?.fingerprint256 ?? '').replace(/:/g, '').toLowerCase();
        if (got !== fingerprint) {
          t.destroy();
          reject(new ElectrumTlsError(`TLS certificate of ${label} does not match the pinned fingerprint (expected ${fingerprint}, got ${got || 'none'})`));
          return;
        }
      } else if (!t.authorized) {
        t.destroy();
        reject(new ElectrumTlsError(`TLS certificate of ${label} not trusted: ${String(t.authorizationError)}`));
        return;
      }
      resolve(t);
    });
  });
}
