import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startApp, type App, type AppOptions } from '../../src/node/app.ts';
import { RATE_SOURCE_IDS } from '../../src/core/rates-sources.ts';

/** Tests never reach the internet: every live rate source points at a closed loopback port unless a test says otherwise. */
export const OFFLINE_RATES: NonNullable<AppOptions['rates']> = {
  baseUrls: Object.fromEntries(RATE_SOURCE_IDS.map((id) => [id, 'http://127.0.0.1:9'])),
  timeoutMs: 2000,
};

export function tempDir(prefix = 'satdesk-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

/** A tiny client for the real HTTP API on loopback (real fetch, real sockets). */
export class ApiClient {
  constructor(
    readonly base: string,
    public token: string | null,
  ) {}

  async call<T = any>(method: string, p: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    const res = await fetch(`${this.base}/api/v1${p}`, {
      method,
      headers: {
        ...(this.token ? { Authorization: `Bearer ${this.token}` } : {}),
        ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('application/json')) parsed = JSON.parse(text);
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  get<T = any>(p: string) {
    return this.call<T>('GET', p);
  }
  post<T = any>(p: string, body?: unknown, headers?: Record<string, string>) {
    return this.call<T>('POST', p, body ?? {}, headers);
  }
}

export async function startTestApp(opts: Partial<AppOptions> = {}): Promise<{ app: App; api: ApiClient; dataDir: string }> {
  const dataDir = opts.dataDir ?? tempDir();
  const app = await startApp({ network: 'regtest', port: 0, log: () => {}, rates: OFFLINE_RATES, ...opts, dataDir });
  return { app, api: new ApiClient(app.api!.url, app.token), dataDir };
}
