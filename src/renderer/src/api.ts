/**
 * The renderer's one client for the contract: the preload bridge inside Electron, HTTP + SSE in a browser against
 * `satdesk serve`. Both speak the same method names and payloads.
 */
import { API_PREFIX, contract, type MethodName, type MethodOutput } from '../../shared/contract.ts';
import type { IpcResult } from '../../shared/ipc.ts';
import type { StreamEvent } from '../../shared/events.ts';
import { SUBSCRIBED_EVENT_TYPES } from './events.ts';

export interface CallInput {
  params?: Record<string, string>;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  /** Aborts the request (a long poll whose screen went away must not hold one of the browser's 6 connections). */
  signal?: AbortSignal;
}

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 0,
  ) {
    super(message);
  }
}

type Bridge = Record<MethodName, (payload?: CallInput) => Promise<IpcResult>> & {
  onEvent(listener: (e: unknown) => void): () => void;
};

declare global {
  interface Window {
    satdesk?: Bridge;
  }
}

const TOKEN_KEY = 'satdesk.token';
/** A paired till or display keeps its token across browser restarts (docs/counter.md); the owner's stays per tab. */
const DEVICE_KEY = 'satdesk.device-token';

export const currentToken = (): string | null => sessionStorage.getItem(TOKEN_KEY) ?? localStorage.getItem(DEVICE_KEY);

export function setDeviceToken(t: string): void {
  sessionStorage.removeItem(TOKEN_KEY);
  localStorage.setItem(DEVICE_KEY, t);
}

/** Signs this browser out: the tab's token and a paired device's token. */
export function forgetTokens(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(DEVICE_KEY);
}

/** Reads `?token=` once, keeps it in sessionStorage and removes it from the address bar (docs/spec/api.md#the-console). */
export function takeTokenFromUrl(): string | null {
  const url = new URL(window.location.href);
  const t = url.searchParams.get('token');
  if (t) {
    sessionStorage.setItem(TOKEN_KEY, t);
    url.searchParams.delete('token');
    window.history.replaceState(null, '', url.pathname + url.search + url.hash);
  }
  return currentToken();
}

/**
 * The console link `serve` prints carries a one-time `?login=` code, never the token (docs/security.md): the code is
 * taken off the address bar at once and traded for the token, kept in sessionStorage. Null without a code.
 */
let redeeming: Promise<string | null> | null = null;
export function redeemLoginCode(): Promise<string | null> {
  return (redeeming ??= redeemOnce());
}

async function redeemOnce(): Promise<string | null> {
  const url = new URL(window.location.href);
  const code = url.searchParams.get('login');
  if (!code) return null;
  url.searchParams.delete('login');
  window.history.replaceState(null, '', url.pathname + url.search + url.hash);
  const res = await fetch(`${API_PREFIX}/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code }) });
  const json = (await res.json()) as { token?: string; error?: { code: string; message: string } };
  if (!res.ok || !json.token) throw new ApiError(json.error?.code ?? 'unauthorized', json.error?.message ?? res.statusText, res.status);
  sessionStorage.setItem(TOKEN_KEY, json.token);
  return json.token;
}

export function setToken(t: string): void {
  sessionStorage.setItem(TOKEN_KEY, t);
}

export const inElectron = (): boolean => typeof window !== 'undefined' && window.satdesk !== undefined;

export async function call<M extends MethodName>(name: M, input: CallInput = {}): Promise<MethodOutput<M>> {
  if (window.satdesk) {
    const { signal: _signal, ...payload } = input;
    const r = await window.satdesk[name](payload);
    if (!r.ok) throw new ApiError(r.error.code, r.error.message);
    return r.result as MethodOutput<M>;
  }
  const def = contract[name];
  let path = def.http.path;
  for (const [k, v] of Object.entries(input.params ?? {})) path = path.replace(`:${k}`, encodeURIComponent(v));
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(input.query ?? {})) if (v !== undefined && v !== '') qs.set(k, String(v));
  const token = currentToken();
  const res = await fetch(`${API_PREFIX}${path}${qs.size ? `?${qs}` : ''}`, {
    method: def.http.method,
    headers: {
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(input.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...input.headers,
    },
    body: input.body !== undefined ? JSON.stringify(input.body) : undefined,
    signal: input.signal,
  });
  if ('contentType' in def && def.contentType === 'text/csv' && res.ok) return (await res.text()) as MethodOutput<M>;
  const json = (await res.json()) as { error?: { code: string; message: string } };
  if (!res.ok) throw new ApiError(json.error?.code ?? 'internal', json.error?.message ?? res.statusText, res.status);
  return json as MethodOutput<M>;
}

/** Live events: the preload bridge, or SSE (which resumes by itself with Last-Event-ID). */
export function subscribe(listener: (e: StreamEvent) => void, onStatus?: (live: boolean) => void): () => void {
  if (window.satdesk) {
    onStatus?.(true);
    return window.satdesk.onEvent((e) => listener(e as StreamEvent));
  }
  const token = currentToken() ?? '';
  const es = new EventSource(`${API_PREFIX}/events?token=${encodeURIComponent(token)}`);
  const handler = (ev: MessageEvent<string>): void => listener(JSON.parse(ev.data) as StreamEvent);
  es.onmessage = handler;
  es.onopen = () => onStatus?.(true);
  es.onerror = () => onStatus?.(false);
  for (const t of SUBSCRIBED_EVENT_TYPES) es.addEventListener(t, handler as EventListener);
  return () => es.close();
}


/**
 * Demo mode only (`satdesk demo`): the sandbox controls, served by the demo under /api/v1/demo/. A production
 * `serve` answers 404 there, which is how the console knows to hide them. Never available inside Electron.
 */
export async function demoCall<T>(what: string, body?: unknown): Promise<T> {
  if (window.satdesk) throw new ApiError('not_found', 'The sandbox controls exist only in `satdesk demo`.', 404);
  const token = currentToken();
  const res = await fetch(`${API_PREFIX}/demo/${what}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const json = (await res.json().catch(() => ({}))) as { error?: { code: string; message: string } };
  if (!res.ok) throw new ApiError(json.error?.code ?? 'internal', json.error?.message ?? res.statusText, res.status);
  return json as T;
}
