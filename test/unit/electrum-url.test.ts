import { describe, expect, it } from 'vitest';
import { SatdeskError } from '../../src/core/errors.ts';
import { isolationCredentials, parseProxyUrl } from '../../src/node/electrum/socks.ts';
import { formatServerUrl, parseServerUrl } from '../../src/node/electrum/url.ts';

const FP = 'ab'.repeat(32);
const FP_COLONS = Array.from({ length: 32 }, () => 'AB').join(':');

const valid: Array<[string, ReturnType<typeof parseServerUrl>]> = [
  ['tcp://electrum.example.com:50001', { protocol: 'tcp', host: 'electrum.example.com', port: 50001 }],
  ['ssl://electrum.example.com:50002', { protocol: 'ssl', host: 'electrum.example.com', port: 50002 }],
  ['  SSL://Electrum.Example.com:50002/  ', { protocol: 'ssl', host: 'electrum.example.com', port: 50002 }],
  ['tcp://127.0.0.1:1', { protocol: 'tcp', host: '127.0.0.1', port: 1 }],
  ['tcp://[::1]:50001', { protocol: 'tcp', host: '::1', port: 50001 }],
  ['ssl://[2001:db8::1]:65535', { protocol: 'ssl', host: '2001:db8::1', port: 65535 }],
  ['tcp://localhost:51001', { protocol: 'tcp', host: 'localhost', port: 51001 }],
  [`ssl://127.0.0.1:50002#${FP}`, { protocol: 'ssl', host: '127.0.0.1', port: 50002, fingerprint: FP }],
  [`ssl://[::1]:50002#${FP_COLONS}`, { protocol: 'ssl', host: '::1', port: 50002, fingerprint: FP }],
  ['tcp://abcdefghijklmnop.onion:50001', { protocol: 'tcp', host: 'abcdefghijklmnop.onion', port: 50001 }],
];

const invalid: Array<[string, string]> = [
  ['', 'expected tcp://host:port or ssl://host:port'],
  ['electrum.example.com:50001', 'expected tcp://host:port or ssl://host:port'],
  ['http://example.com:50001', 'unsupported scheme "http" (use tcp:// or ssl://)'],
  ['tcp://example.com', 'missing port'],
  ['tcp://example.com:', 'missing port'],
  ['tcp://:50001', 'missing host'],
  ['tcp://example.com:0', 'port "0" is not a number from 1 to 65535'],
  ['tcp://example.com:65536', 'port "65536" is not a number from 1 to 65535'],
  ['tcp://example.com:5x', 'port "5x" is not a number from 1 to 65535'],
  ['tcp://::1:50001', 'IPv6 addresses must be written in brackets, e.g. [::1]:50001'],
  ['tcp://[::1:50001', 'missing "]" after the IPv6 address'],
  ['tcp://[::1]', 'missing port'],
  ['tcp://[nope]:1', '"nope" is not an IPv6 address'],
  ['tcp://bad_host!:1', '"bad_host!" is not a valid host name'],
  ['tcp://user:pw@example.com:1', 'user names and passwords are not supported'],
  ['tcp://example.com:1/path', 'unexpected path or query after host:port'],
  [`tcp://example.com:1#${FP}`, 'a certificate fingerprint needs ssl://'],
  ['ssl://example.com:1#abcd', 'the fingerprint after "#" must be a SHA-256 hash: 64 hex digits, colons allowed'],
  [`ssl://example.com:1#${'g'.repeat(64)}`, 'the fingerprint after "#" must be a SHA-256 hash: 64 hex digits, colons allowed'],
];

describe('parseServerUrl', () => {
  it.each(valid)('parses %s', (input, expected) => {
    expect(parseServerUrl(input)).toEqual(expected);
  });

  it.each(invalid)('refuses %j', (input, why) => {
    let err: unknown;
    try {
      parseServerUrl(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SatdeskError);
    expect((err as SatdeskError).code).toBe('invalid_request');
    expect((err as SatdeskError).message).toBe(`Invalid Electrum server URL "${input.trim()}": ${why}`);
  });

  it('formats back to a display URL', () => {
    expect(formatServerUrl(parseServerUrl('tcp://[::1]:50001'))).toBe('tcp://[::1]:50001');
    expect(formatServerUrl(parseServerUrl(`ssl://h.example:2#${FP}`), true)).toBe(`ssl://h.example:2#${FP}`);
    expect(formatServerUrl(parseServerUrl(`ssl://h.example:2#${FP}`))).toBe('ssl://h.example:2');
  });
});

describe('parseProxyUrl', () => {
  it('parses socks5 and socks5h', () => {
    expect(parseProxyUrl('socks5://127.0.0.1:9050')).toEqual({ host: '127.0.0.1', port: 9050 });
    expect(parseProxyUrl('socks5h://localhost:9150/')).toEqual({ host: 'localhost', port: 9150 });
    expect(parseProxyUrl('socks5://[::1]:9050')).toEqual({ host: '::1', port: 9050 });
  });
  it.each([
    ['http://127.0.0.1:9050', 'expected socks5://host:port'],
    ['socks5://127.0.0.1', 'missing port'],
    ['socks5://u:p@127.0.0.1:9050', 'proxy authentication is not supported'],
  ])('refuses %s', (input, why) => {
    expect(() => parseProxyUrl(input)).toThrow(`Invalid SOCKS5 proxy URL "${input}": ${why}`);
  });
});

describe('isolationCredentials', () => {
  it('gives each server its own stable SOCKS username and password', () => {
    const a = isolationCredentials('tcp://a.example:50001');
    expect(a).toEqual(isolationCredentials('tcp://a.example:50001'));
    expect(a.userId).toMatch(/^satdesk-[0-9a-f]{16}$/);
    expect(isolationCredentials('tcp://b.example:50001').userId).not.toBe(a.userId);
  });
});
