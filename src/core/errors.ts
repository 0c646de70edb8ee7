/**
 * Error codes are part of the contract (docs/spec/api.md#errors): the HTTP layer maps each code to a status, tests assert them.
 */
export type ErrorCode =
  | 'unauthorized'
  | 'forbidden'
  | 'rate_limited'
  | 'invalid_request'
  | 'invalid_amount'
  | 'invalid_address'
  | 'wrong_network'
  | 'private_key_refused'
  | 'not_found'
  | 'address_in_use'
  | 'source_conflict'
  | 'idempotency_conflict'
  | 'refund_exceeds_received'
  | 'payload_too_large'
  | 'pool_exhausted'
  | 'rate_unavailable'
  | 'storage_full'
  | 'storage_unavailable'
  | 'host_not_allowed'
  | 'origin_not_allowed'
  | 'too_many_streams'
  | 'internal';

export const HTTP_STATUS: Record<ErrorCode, number> = {
  unauthorized: 401,
  forbidden: 403,
  rate_limited: 429,
  invalid_request: 400,
  invalid_amount: 400,
  invalid_address: 400,
  wrong_network: 400,
  private_key_refused: 400,
  not_found: 404,
  address_in_use: 409,
  source_conflict: 409,
  idempotency_conflict: 409,
  refund_exceeds_received: 409,
  payload_too_large: 413,
  pool_exhausted: 503,
  rate_unavailable: 503,
  storage_full: 507,
  storage_unavailable: 503,
  host_not_allowed: 421,
  origin_not_allowed: 403,
  too_many_streams: 503,
  internal: 500,
};

export class SatdeskError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'SatdeskError';
    this.code = code;
  }
}

export function isSatdeskError(e: unknown): e is SatdeskError {
  return e instanceof SatdeskError;
}
