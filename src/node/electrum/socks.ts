import net from 'node:net';
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
  if (authority.includes('@')) throw bad('proxy authentication is not supported');
  const hp = splitHostPort(authority);
  if (typeof hp === 'string') throw bad(hp);
  return hp;
}

const REPLIES: Record<number, string> = {
  1: 'general SOCKS server failure',
  2: 'connection not allowed by ruleset',
  3: 'network unreachable',
  4: 'host unreachable',
  5: 'connection refused',
  6: 'TTL expired',
  7: 'command not supported',
  8: 'address type not supported',
};

export class Socks5Error extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Socks5Error';
  }
}

/** Builds the CONNECT request (RFC 1928 §4): IP literals as IPv4/IPv6 addresses, anything else by domain name. */
export function socks5ConnectRequest(host: string, port: number): Buffer {
  let addr: Buffer;
  const kind = net.isIP(host);
  if (kind === 4) {
    addr = Buffer.from([0x01, ...host.split('.').map(Number)]);
  } else if (kind === 6) {
    addr = Buffer.concat([Buffer.from([0x04]), ipv6Bytes(host)]);
  } else {
    const name = Buffer.from(host, 'utf8');
    if (name.length === 0 || name.length > 255) throw new Socks5Error(`host name "${host}" too long for SOCKS5`);
    addr = Buffer.concat([Buffer.from([0x03, name.length]), name]);
  }
  return Buffer.concat([Buffer.from([0x05, 0x01, 0x00]), addr, Buffer.from([port >> 8, port & 0xff])]);
}

function ipv6Bytes(ip: string): Buffer {
  // Expand "::" and any embedded IPv4 tail into 8 groups.
  let s = ip;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4?.[1]) {
    const b = v4[1].split('.').map(Number);
    s = s.slice(0, -v4[1].length) + `${(((b[0] ?? 0) << 8) | (b[1] ?? 0)).toString(16)}:${(((b[2] ?? 0) << 8) | (b[3] ?? 0)).toString(16)}`;
  }
  const [head = '', tail] = s.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g || '0', 16), i * 2));
  return out;
}

/**
 * Opens a TCP connection to host:port through a SOCKS5 proxy (no authentication, CONNECT). Resolves with the
 * connected socket, paused, with any bytes that arrived after the proxy's reply pushed back into it.
 */
export function socks5Connect(proxy: ProxyConfig, host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: proxy.host, port: proxy.port });
    let buf = Buffer.alloc(0);
    let stage: 'greeting' | 'connect' = 'greeting';
    let done = false;
    const timer = setTimeout(() => finish(new Socks5Error(`SOCKS5 proxy ${proxy.host}:${proxy.port} timed out`)), timeoutMs);
    timer.unref?.();

    const finish = (err: Error | null, rest?: Buffer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.removeListener('data', onData);
      sock.removeListener('error', onError);
      sock.removeListener('close', onClose);
      if (err) {
        sock.destroy();
        reject(err);
        return;
      }
      sock.pause();
      if (rest && rest.length > 0) sock.unshift(rest);
      resolve(sock);
    };
    const onError = (e: Error) => finish(new Socks5Error(`SOCKS5 proxy ${proxy.host}:${proxy.port}: ${e.message}`));
    const onClose = () => finish(new Socks5Error(`SOCKS5 proxy ${proxy.host}:${proxy.port} closed the connection`));
    const onData = (chunk: Buffer) => {
      try {
        buf = Buffer.concat([buf, chunk]);
        if (stage === 'greeting') {
          if (buf.length < 2) return;
          if (buf[0] !== 0x05) return finish(new Socks5Error('not a SOCKS5 proxy'));
          if (buf[1] !== 0x00) return finish(new Socks5Error('SOCKS5 proxy requires authentication (not supported)'));
          buf = buf.subarray(2);
          stage = 'connect';
          sock.write(socks5ConnectRequest(host, port));
        }
        if (buf.length < 5) return;
        if (buf[0] !== 0x05) return finish(new Socks5Error('malformed SOCKS5 reply'));
        if (buf[1] !== 0x00) {
          const code = buf[1] ?? -1;
          return finish(new Socks5Error(`SOCKS5 proxy could not reach ${host}:${port}: ${REPLIES[code] ?? `reply ${code}`}`));
        }
        const atyp = buf[3];
        const addrLen = atyp === 0x01 ? 4 : atyp === 0x04 ? 16 : atyp === 0x03 ? 1 + (buf[4] ?? 0) : -1;
        if (addrLen < 0) return finish(new Socks5Error('malformed SOCKS5 reply address'));
        const total = 4 + addrLen + 2;
        if (buf.length < total) return;
        finish(null, buf.subarray(total));
      } catch (e) {
        finish(e instanceof Error ? e : new Socks5Error(String(e)));
      }
    };
    sock.on('data', onData);
    sock.on('error', onError);
    sock.on('close', onClose);
    sock.once('connect', () => {
      sock.write(Buffer.from([0x05, 0x01, 0x00]));
    });
  });
}
