/**
 * Typed errors of the Electrum client. Every promise the client returns rejects with one of these, so callers
 * (the pool, the watcher) can tell a slow server from a refusing one from a lying one.
 */
export class ElectrumError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ElectrumError';
  }
}

/** A request got no answer within its timeout. */
export class ElectrumTimeoutError extends ElectrumError {
  readonly method: string;
  readonly timeoutMs: number;
  constructor(method: string, timeoutMs: number) {
    super(`Electrum request ${method} timed out after ${timeoutMs} ms`);
    this.name = 'ElectrumTimeoutError';
    this.method = method;
    this.timeoutMs = timeoutMs;
  }
}

/** The server answered with a JSON-RPC error object (normalised: message is always a string). */
export class ElectrumRpcError extends ElectrumError {
  readonly code: number;
  readonly rpcMessage: string;
  readonly method: string;
  constructor(method: string, code: number, rpcMessage: string) {
    super(`Electrum server error on ${method} (code ${code}): ${rpcMessage}`);
    this.name = 'ElectrumRpcError';
    this.method = method;
    this.code = code;
    this.rpcMessage = rpcMessage;
  }
}

/** The server sent something that breaks the protocol (bad JSON, malformed result, impossible answer). */
export class ElectrumProtocolError extends ElectrumError {
  constructor(message: string) {
    super(message);
    this.name = 'ElectrumProtocolError';
  }
}

/** The connection ended (or never existed) while the request was pending. */
export class ElectrumDisconnectedError extends ElectrumError {
  readonly reason: string;
  constructor(reason: string) {
    super(`Electrum connection closed: ${reason}`);
    this.name = 'ElectrumDisconnectedError';
    this.reason = reason;
  }
}

/** connect() failed: TCP/DNS/proxy/TLS failure or connect timeout. */
export class ElectrumConnectError extends ElectrumError {
  constructor(message: string) {
    super(message);
    this.name = 'ElectrumConnectError';
  }
}

/** The TLS certificate was refused (CA verification failed or the pinned fingerprint did not match). */
export class ElectrumTlsError extends ElectrumConnectError {
  constructor(message: string) {
    super(message);
    this.name = 'ElectrumTlsError';
  }
}

/** server.features reported another chain's genesis block. */
export class ElectrumNetworkMismatchError extends ElectrumError {
  readonly expected: string;
  readonly actual: string;
  constructor(network: string, expected: string, actual: string) {
    super(`Electrum server is on another network: expected ${network} genesis ${expected}, got ${actual}`);
    this.name = 'ElectrumNetworkMismatchError';
    this.expected = expected;
    this.actual = actual;
  }
}

/** The negotiated protocol version does not offer this method (e.g. unsubscribe before 1.4.2). */
export class ElectrumUnsupportedError extends ElectrumError {
  constructor(message: string) {
    super(message);
    this.name = 'ElectrumUnsupportedError';
  }
}

/** JSON-RPC codes public servers (aiorpcx/ElectrumX, Fulcrum) use to shed load. */
export const EXCESSIVE_RESOURCE_USAGE = -101;
export const SERVER_BUSY = -102;

const REFUSAL_PATTERNS = [
  /history too large/i,
  /excessive resource usage/i,
  /server busy/i,
  /too many (subscriptions|requests|connections|sessions)/i,
  /batch.{0,30}(too large|too many|limit|exceed)/i,
  /subscription.{0,30}(limit|too many|exceed)/i,
  /limit (exceeded|reached)/i,
  /rate limit/i,
];

/**
 * Is this error a server refusing work (throttling, caps, "history too large")? Such a server is usable by
 * others but not by us right now: back off and try another one.
 */
export function isServerRefusal(err: unknown): err is ElectrumRpcError {
  if (!(err instanceof ElectrumRpcError)) return false;
  if (err.code === EXCESSIVE_RESOURCE_USAGE || err.code === SERVER_BUSY) return true;
  return REFUSAL_PATTERNS.some((re) => re.test(err.rpcMessage));
}

const MAX_MESSAGE = 300;

/** Servers send `error` as an object with a string or object message, a bare string, or worse: normalise. */
export function normaliseRpcError(error: unknown): { code: number; message: string } {
  let code = 0;
  let message: string;
  if (typeof error === 'string') {
    message = error;
  } else if (error !== null && typeof error === 'object') {
    const e = error as Record<string, unknown>;
    if (typeof e.code === 'number' && Number.isFinite(e.code)) code = Math.trunc(e.code);
    const m = e.message;
    if (typeof m === 'string') message = m;
    else if (m !== undefined) message = safeStringify(m);
    else message = safeStringify(error);
  } else {
    message = safeStringify(error);
  }
  message = message.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  if (message.length > MAX_MESSAGE) message = `${message.slice(0, MAX_MESSAGE)}…`;
  if (message === '') message = 'unspecified error';
  return { code, message };
}

function safeStringify(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
