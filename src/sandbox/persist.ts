import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import os from 'node:os';

/** Write a file atomically (temp file + rename) so a crash never leaves half a chain behind. */
export function writeAtomic(file: string, data: string, mode = 0o600): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data, { mode });
  fs.renameSync(tmp, file);
}

export function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`cannot read ${file}: ${(e as Error).message}`);
  }
}

export interface TlsMaterial {
  key: string;
  cert: string;
  /** SHA-256 of the DER certificate, lowercase hex without separators */
  fingerprint: string;
  /** the same, as AA:BB:... (openssl style) */
  fingerprintColons: string;
}

/**
 * A self-signed certificate for the TLS port, made once with the openssl CLI (Node has no certificate builder)
 * and kept in `dir` when given, so clients that pinned it on first use still connect after a restart.
 */
export function ensureTlsCert(dir: string | null): TlsMaterial {
  const target = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'satdesk-sandbox-tls-'));
  const keyFile = path.join(target, 'tls-key.pem');
  const certFile = path.join(target, 'tls-cert.pem');
  if (!fs.existsSync(keyFile) || !fs.existsSync(certFile)) {
    try {
      execFileSync('openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', keyFile, '-out', certFile, '-days', '3650', '-subj', '/CN=satdesk-sandbox',
        '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      throw new Error(`cannot create the sandbox TLS certificate with openssl (is it installed?): ${(e as Error).message}`);
    }
    fs.chmodSync(keyFile, 0o600);
  }
  const key = fs.readFileSync(keyFile, 'utf8');
  const cert = fs.readFileSync(certFile, 'utf8');
  if (!dir) fs.rmSync(target, { recursive: true, force: true });
  const fingerprintColons = new X509Certificate(cert).fingerprint256;
  return { key, cert, fingerprint: fingerprintColons.replace(/:/g, '').toLowerCase(), fingerprintColons };
}
