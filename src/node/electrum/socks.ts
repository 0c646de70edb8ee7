/**
 * SOCKS5 (Tor) for Electrum connections, through the `socks` package. Each server gets its own username/password
 * pair: Tor isolates streams by SOCKS credentials (IsolateSOCKSAuth, on by default), so two servers never share a
 * circuit and cannot link a merchant's addresses by exit relay. The proxy always resolves host names (socks5h).
 */
import { createHash } from 'node:crypto';
import type net from 'node:net';
import { SocksClient } from 'socks';
import { SatdeskError } from '../../core/errors.ts';
import { splitHostPort } from './url.ts';

export interface ProxyConfig {
  host: string;
  port: number;
}

/** `socks5://host:port` (or `socks5h://`, same thing here: the proxy always resolves names). */
export function parseProxyUrl(input: string): ProxyConfig {
  const s = input.trim();
  const m = /^(socks5h?):\/\/([^/?#]*)\/?$/i.exec(s);
  const bad = (why: string) => new SatdeskError('invalid_request', `Invalid SOCKS5 proxy URL "${s.slice(0, 120)}": ${why}`);
  if (!m) throw bad('expected socks5://host:port');
  const authority = m[2] ?? '';
  // Satdesk sets its own credentials per server (stream isolation): a user name in the URL would defeat that.
  if (authority.includes('@')) throw bad('proxy authentication is not supported');
  const hp = splitHostPort(authority);
  if (typeof hp === 'string') throw bad(hp);
  return hp;
}

export class Socks5Error extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Socks5Error';
  }
}

/** The SOCKS credentials that isolate `isolationKey` (a server URL) on its own Tor circuit. */
export function isolationCredentials(isolationKey: string): { userId: string; password: string } {
  const tag = createHash('sha256').update(isolationKey).digest('hex').slice(0, 16);
  return { userId: `satdesk-${tag}`, password: tag };
}

const REPLIES: Record<string, string> = {
  Failure: 'general SOCKS server failure',
  NotAllowed: 'connection not allowed by ruleset',
  NetworkUnreachable: 'network unreachable',
  HostUnreachable: 'host unreachable',
  ConnectionRefused: 'connection refused',
  TTLExpired: 'TTL expired',
  CommandNotSupported: 'command not supported',
  AddressNotSupported: 'address type not supported',
};

/** Opens a TCP stream to host:port through the proxy, isolated by `isolationKey`. */
export async function socks5Connect(proxy: ProxyConfig, host: string, port: number, timeoutMs: number, isolationKey: string): Promise<net.Socket> {
  const where = `SOCKS5 proxy ${proxy.host}:${proxy.port}`;
  try {
    const { socket } = await SocksClient.createConnection({
      proxy: { host: proxy.host, port: proxy.port, type: 5, ...isolationCredentials(isolationKey) },
      command: 'connect',
      destination: { host, port },
      timeout: timeoutMs,
    });
    return socket;
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    const rejected = / - (\w+)$/.exec(msg);
    if (rejected?.[1] && REPLIES[rejected[1]]) throw new Socks5Error(`SOCKS5 proxy could not reach ${host}:${port}: ${REPLIES[rejected[1]]}`);
    if (/timed out/i.test(msg)) throw new Socks5Error(`${where} timed out`);
    throw new Socks5Error(`${where}: ${msg}`);
  }
}
