/**
 * A scripted Electrum peer for the client tests: a real net/tls server on 127.0.0.1 (ephemeral port) that
 * answers the handshake by default and lets each test decide, message by message, what bytes go back.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';

export const REGTEST_GENESIS = '0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206';
export const MAINNET_GENESIS = '000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f';

export interface Msg {
  jsonrpc?: string;
  id: number;
  method: string;
  params: unknown[];
}

export class PeerConn {
  readonly received: Array<Msg | Msg[]> = [];
  readonly rawChunks: Buffer[] = [];
  constructor(readonly socket: net.Socket) {}
  write(raw: string | Buffer): void {
    if (!this.socket.destroyed) this.socket.write(raw);
  }
  send(obj: unknown): void {
    this.write(`${JSON.stringify(obj)}\n`);
  }
  reply(id: number, result: unknown): void {
    this.send({ jsonrpc: '2.0', id, result });
  }
  error(id: number | null, error: unknown): void {
    this.send({ jsonrpc: '2.0', id, error });
  }
  notify(method: string, params: unknown[]): void {
    this.send({ jsonrpc: '2.0', method, params });
  }
}

export interface PeerOptions {
  /** Protocol version the peer negotiates (default '1.4.2'). */
  version?: string;
  genesis?: string;
  /** Return true when the message was handled (or deliberately ignored). */
  onMessage?: (msg: Msg, conn: PeerConn) => boolean | void;
  /** Return true when the batch was handled; otherwise each element goes through onMessage/defaults. */
  onBatch?: (batch: Msg[], conn: PeerConn) => boolean | void;
  onConnection?: (conn: PeerConn) => void;
  tls?: { key: string; cert: string };
}

export interface Peer {
  port: number;
  url: string;
  conns: PeerConn[];
  /** Every message from every connection, in arrival order (batches flattened). */
  messages: Msg[];
  batches: Msg[][];
  /** Connections still open at the TCP level (a closed one has delivered all its data). */
  openConnections(): Promise<number>;
  close(): Promise<void>;
}

export function defaultAnswer(msg: Msg, conn: PeerConn, opts: PeerOptions): void {
  switch (msg.method) {
    case 'server.version':
      conn.reply(msg.id, ['ScriptedPeer 1.0', opts.version ?? '1.4.2']);
      return;
    case 'server.features':
      conn.reply(msg.id, { genesis_hash: opts.genesis ?? REGTEST_GENESIS, hash_function: 'sha256', protocol_min: '1.4', protocol_max: '1.4.2' });
      return;
    case 'server.ping':
      conn.reply(msg.id, null);
      return;
    default:
      conn.error(msg.id, { code: -32601, message: `unknown method ${msg.method}` });
  }
}

export async function startPeer(opts: PeerOptions = {}): Promise<Peer> {
  const conns: PeerConn[] = [];
  const messages: Msg[] = [];
  const batches: Msg[][] = [];
  const sockets = new Set<net.Socket>();
  const onSocket = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const conn = new PeerConn(socket);
    conns.push(conn);
    opts.onConnection?.(conn);
    let buf = '';
    socket.on('data', (chunk: Buffer) => {
      conn.rawChunks.push(chunk);
      buf += chunk.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!line.trim()) continue;
        const parsed = JSON.parse(line) as Msg | Msg[];
        conn.received.push(parsed);
        if (Array.isArray(parsed)) {
          batches.push(parsed);
          messages.push(...parsed);
          if (opts.onBatch?.(parsed, conn)) continue;
          for (const m of parsed) if (!opts.onMessage?.(m, conn)) defaultAnswer(m, conn, opts);
        } else {
          messages.push(parsed);
          if (!opts.onMessage?.(parsed, conn)) defaultAnswer(parsed, conn, opts);
        }
      }
    });
  };
  const server = opts.tls ? tls.createServer({ key: opts.tls.key, cert: opts.tls.cert }, onSocket) : net.createServer(onSocket);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: `${opts.tls ? 'ssl' : 'tcp'}://127.0.0.1:${port}`,
    conns,
    messages,
    batches,
    openConnections: () => new Promise<number>((resolve, reject) => server.getConnections((e, n) => (e ? reject(e) : resolve(n)))),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface SelfSigned {
  dir: string;
  key: string;
  cert: string;
  /** SHA-256 fingerprint, colon form as openssl/Node print it. */
  fingerprint256: string;
}

/** A self-signed certificate for CN=localhost (+ SAN localhost, 127.0.0.1) made with the openssl CLI. */
export function makeSelfSigned(): SelfSigned {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'satdesk-electrum-tls-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '2',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ], { stdio: 'pipe' });
  const key = fs.readFileSync(path.join(dir, 'key.pem'), 'utf8');
  const cert = fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8');
  return { dir, key, cert, fingerprint256: new X509Certificate(cert).fingerprint256 };
}

export interface Socks5Proxy {
  port: number;
  /** Every CONNECT target as "host:port" (host as sent: domain name or IP). */
  targets: string[];
  /** The username/password of each connection that authenticated (RFC 1929), in order. */
  credentials: { user: string; password: string }[];
  close(): Promise<void>;
}

/**
 * A minimal SOCKS5 proxy (RFC 1928, CONNECT) that pipes to the requested target. It takes username/password
 * authentication (RFC 1929) when the client offers it, as Tor does, and records the credentials.
 */
export async function startSocks5Proxy(): Promise<Socks5Proxy> {
  const targets: string[] = [];
  const credentials: { user: string; password: string }[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    let buf = Buffer.alloc(0);
    let stage: 'greet' | 'auth' | 'req' | 'piped' = 'greet';
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (stage === 'greet') {
        if (buf.length < 2 || buf.length < 2 + (buf[1] ?? 0)) return;
        const methods = [...buf.subarray(2, 2 + (buf[1] ?? 0))];
        buf = buf.subarray(2 + (buf[1] ?? 0));
        const auth = methods.includes(2);
        client.write(Buffer.from([5, auth ? 2 : 0]));
        stage = auth ? 'auth' : 'req';
      }
      if (stage === 'auth') {
        const ulen = buf[1] ?? 0;
        if (buf.length < 2 + ulen + 1) return;
        const plen = buf[2 + ulen] ?? 0;
        if (buf.length < 3 + ulen + plen) return;
        credentials.push({ user: buf.subarray(2, 2 + ulen).toString(), password: buf.subarray(3 + ulen, 3 + ulen + plen).toString() });
        buf = buf.subarray(3 + ulen + plen);
        client.write(Buffer.from([1, 0]));
        stage = 'req';
      }
      if (stage === 'req') {
        if (buf.length < 5) return;
        const atyp = buf[3];
        let host: string;
        let off: number;
        if (atyp === 1) {
          if (buf.length < 10) return;
          host = [...buf.subarray(4, 8)].join('.');
          off = 8;
        } else if (atyp === 3) {
          const len = buf[4] ?? 0;
          if (buf.length < 5 + len + 2) return;
          host = buf.subarray(5, 5 + len).toString('utf8');
          off = 5 + len;
        } else {
          client.end(Buffer.from([5, 8, 0, 1, 0, 0, 0, 0, 0, 0]));
          return;
        }
        const port = buf.readUInt16BE(off);
        const rest = buf.subarray(off + 2);
        targets.push(`${host}:${port}`);
        stage = 'piped';
        client.removeListener('data', onData);
        client.pause();
        const upstream = net.connect({ host, port }, () => {
          client.write(Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 0]));
          if (rest.length) upstream.write(rest);
          client.pipe(upstream);
          upstream.pipe(client);
          client.resume();
        });
        sockets.add(upstream);
        upstream.on('close', () => {
          sockets.delete(upstream);
          client.destroy();
        });
        upstream.on('error', () => client.end(Buffer.from([5, 5, 0, 1, 0, 0, 0, 0, 0, 0])));
        client.on('close', () => upstream.destroy());
      }
    };
    client.on('data', onData);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    targets,
    credentials,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
