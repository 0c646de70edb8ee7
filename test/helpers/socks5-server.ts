/**
 * A tiny SOCKS5 server for tests (RFC 1928 CONNECT, RFC 1929 username/password): it records what each client asked
 * for — the target as the client sent it (a domain name or an address) and the username — and connects host names
 * through a test-given map, so a name that resolves nowhere else (`kraken.test`) works only through the proxy.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface SocksRequest {
  host: string;
  port: number;
  kind: 'domain' | 'ipv4' | 'ipv6';
  username: string | null;
}

export interface Socks5Server {
  url: string;
  requests: SocksRequest[];
  close(): Promise<void>;
}

export async function startSocks5Server(resolve: Record<string, string>): Promise<Socks5Server> {
  const requests: SocksRequest[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    let buf = Buffer.alloc(0);
    let stage: 'greeting' | 'auth' | 'request' | 'piped' = 'greeting';
    let username: string | null = null;
    client.on('data', (chunk: Buffer) => {
      if (stage === 'piped') return;
      buf = Buffer.concat([buf, chunk]);
      if (stage === 'greeting') {
        if (buf.length < 2 || buf.length < 2 + buf[1]!) return;
        const methods = [...buf.subarray(2, 2 + buf[1]!)];
        buf = buf.subarray(2 + buf[1]!);
        const method = methods.includes(2) ? 2 : methods.includes(0) ? 0 : 0xff;
        client.write(Buffer.from([5, method]));
        if (method === 0xff) return void client.end();
        stage = method === 2 ? 'auth' : 'request';
      }
      if (stage === 'auth') {
        if (buf.length < 2) return;
        const ulen = buf[1]!;
        if (buf.length < 3 + ulen) return;
        const plen = buf[2 + ulen]!;
        if (buf.length < 3 + ulen + plen) return;
        username = buf.subarray(2, 2 + ulen).toString();
        buf = buf.subarray(3 + ulen + plen);
        client.write(Buffer.from([1, 0]));
        stage = 'request';
      }
      if (stage === 'request') {
        if (buf.length < 5) return;
        const atyp = buf[3]!;
        const addrLen = atyp === 1 ? 4 : atyp === 4 ? 16 : 1 + buf[4]!;
        if (buf.length < 4 + addrLen + 2) return;
        const host =
          atyp === 3
            ? buf.subarray(5, 5 + buf[4]!).toString()
            : atyp === 1
              ? [...buf.subarray(4, 8)].join('.')
              : buf.subarray(4, 20).toString('hex');
        const port = buf.readUInt16BE(4 + addrLen);
        requests.push({ host, port, kind: atyp === 3 ? 'domain' : atyp === 1 ? 'ipv4' : 'ipv6', username });
        stage = 'piped';
        const target = net.connect({ host: resolve[host] ?? host, port });
        sockets.add(target);
        target.on('close', () => sockets.delete(target));
        target.once('connect', () => {
          client.write(Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 0]));
          client.pipe(target);
          target.pipe(client);
        });
        target.on('error', () => {
          client.end(Buffer.from([5, 4, 0, 1, 0, 0, 0, 0, 0, 0])); // host unreachable
        });
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `socks5://127.0.0.1:${port}`,
    requests,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
