/**
 * Tills on the shop's network (docs/counter.md#tills-on-the-shops-network): `serve --lan` speaks HTTPS with a
 * self-signed certificate made once (openssl, as the sandbox does) and kept in the data dir, owner-only. Its
 * SHA-256 fingerprint is printed and carried by the pairing QR, so a device can check it is talking to this
 * Satdesk before it trusts the certificate.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';

export interface LanTls {
  key: string;
  cert: string;
  /** SHA-256 of the DER certificate, AA:BB:… (what browsers show). */
  fingerprint: string;
}

/** This machine's non-internal IPv4 and IPv6 addresses: where tills can reach it. */
export function lanAddresses(): string[] {
  return Object.values(os.networkInterfaces())
    .flat()
    .filter((i): i is os.NetworkInterfaceInfo => Boolean(i) && !i!.internal)
    .map((i) => i.address);
}

export function ensureLanCertificate(dataDir: string): LanTls {
  const dir = path.join(dataDir, 'tls');
  const keyFile = path.join(dir, 'lan-key.pem');
  const certFile = path.join(dir, 'lan-cert.pem');
  if (!fs.existsSync(keyFile) || !fs.existsSync(certFile)) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const host = os.hostname().replace(/[^A-Za-z0-9.-]/g, '') || 'satdesk';
    const san = ['DNS:localhost', `DNS:${host}`, `DNS:${host}.local`, 'IP:127.0.0.1', ...lanAddresses().map((a) => `IP:${a}`)].join(',');
    try {
      execFileSync(
        'openssl',
        ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile,
          '-days', '3650', '-subj', `/CN=Satdesk on ${host}`, '-addext', `subjectAltName=${san}`],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
    } catch (e) {
      throw new Error(`cannot create the LAN TLS certificate with openssl (is it installed?): ${(e as Error).message}`);
    }
    fs.chmodSync(keyFile, 0o600);
  }
  const cert = fs.readFileSync(certFile, 'utf8');
  return { key: fs.readFileSync(keyFile, 'utf8'), cert, fingerprint: new X509Certificate(cert).fingerprint256 };
}
