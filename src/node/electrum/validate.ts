import { ElectrumProtocolError } from './errors.ts';

/**
 * Shape checks for server results. Every server reply is untrusted: a result that does not have the documented
 * shape becomes an ElectrumProtocolError instead of flowing into the watcher.
 */

export interface HeaderInfo {
  height: number;
  /** 80-byte block header, hex. */
  hex: string;
}

export interface HistoryEntry {
  tx_hash: string;
  /** Block height; 0 = mempool with confirmed inputs, -1 = mempool with an unconfirmed input. */
  height: number;
  fee?: number;
}

export interface MerkleProof {
  block_height: number;
  merkle: string[];
  pos: number;
}

export interface BlockHeadersResult {
  count: number;
  hex: string;
  max: number;
}

const HEX64 = /^[0-9a-f]{64}$/;
const HEX = /^(?:[0-9a-f]{2})*$/i;

function fail(what: string, detail: string): never {
  throw new ElectrumProtocolError(`malformed ${what} from server: ${detail}`);
}

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function isHash64(v: unknown): v is string {
  return typeof v === 'string' && HEX64.test(v);
}

function isInt(v: unknown, min = -Infinity): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= min;
}

export function parseHeaderInfo(v: unknown, what = 'header'): HeaderInfo {
  if (!isObj(v)) fail(what, 'not an object');
  if (!isInt(v.height, 0)) fail(what, 'height is not a non-negative integer');
  if (typeof v.hex !== 'string' || v.hex.length !== 160 || !HEX.test(v.hex)) fail(what, 'hex is not an 80-byte header');
  return { height: v.height, hex: v.hex.toLowerCase() };
}

export function parseStatus(v: unknown, what = 'scripthash status'): string | null {
  if (v === null) return null;
  if (!isHash64(v)) fail(what, 'not null or a 64-digit hex hash');
  return v;
}

export function parseHistory(v: unknown): HistoryEntry[] {
  if (!Array.isArray(v)) fail('history', 'not an array');
  return v.map((e, i) => {
    if (!isObj(e)) fail('history', `entry ${i} is not an object`);
    if (!isHash64(e.tx_hash)) fail('history', `entry ${i} tx_hash is not a txid`);
    if (!isInt(e.height, -1)) fail('history', `entry ${i} height is not an integer >= -1`);
    const out: HistoryEntry = { tx_hash: e.tx_hash, height: e.height };
    if (e.fee !== undefined && e.fee !== null) {
      if (!isInt(e.fee, 0)) fail('history', `entry ${i} fee is not a non-negative integer`);
      out.fee = e.fee;
    }
    return out;
  });
}

export function parseTransactionHex(v: unknown): string {
  if (typeof v !== 'string' || v.length < 20 || !HEX.test(v)) fail('transaction', 'not a hex string');
  return v.toLowerCase();
}

export function parseMerkle(v: unknown, expectedHeight?: number): MerkleProof {
  if (!isObj(v)) fail('merkle proof', 'not an object');
  if (!isInt(v.block_height, 0)) fail('merkle proof', 'block_height is not a non-negative integer');
  if (expectedHeight !== undefined && v.block_height !== expectedHeight) {
    fail('merkle proof', `block_height ${v.block_height} != requested ${expectedHeight}`);
  }
  if (!Array.isArray(v.merkle) || !v.merkle.every(isHash64)) fail('merkle proof', 'merkle is not an array of hashes');
  if (v.merkle.length > 64) fail('merkle proof', 'branch longer than 64');
  if (!isInt(v.pos, 0)) fail('merkle proof', 'pos is not a non-negative integer');
  return { block_height: v.block_height, merkle: [...(v.merkle as string[])], pos: v.pos };
}

export function parseBlockHeader(v: unknown): string {
  if (typeof v !== 'string' || v.length !== 160 || !HEX.test(v)) fail('block header', 'not an 80-byte hex header');
  return v.toLowerCase();
}

export function parseBlockHeaders(v: unknown, requested: number): BlockHeadersResult {
  if (!isObj(v)) fail('block headers', 'not an object');
  if (!isInt(v.count, 0) || v.count > requested) fail('block headers', 'count is not an integer within the requested range');
  let hex: string;
  if (Array.isArray(v.headers)) {
    // Protocol 1.6 (ElectrumX 1.20 `block_headers_array`, Fulcrum 2.x): one hex string per header.
    if (v.headers.length !== v.count || !v.headers.every((h) => typeof h === 'string' && h.length === 160 && HEX.test(h))) {
      fail('block headers', 'headers is not count 80-byte hex headers');
    }
    hex = (v.headers as string[]).join('');
  } else {
    if (typeof v.hex !== 'string' || !HEX.test(v.hex) || v.hex.length !== v.count * 160) fail('block headers', 'hex is not count × 80 bytes');
    hex = v.hex;
  }
  const max = isInt(v.max, 0) ? v.max : v.count;
  return { count: v.count, hex: hex.toLowerCase(), max };
}

export function parseTxid(v: unknown, what = 'txid'): string {
  if (!isHash64(v)) fail(what, 'not a 64-digit hex txid');
  return v;
}

export function parseVersionReply(v: unknown): { serverSoftware: string; protocol: string } {
  if (!Array.isArray(v) || v.length < 2 || typeof v[0] !== 'string' || typeof v[1] !== 'string') {
    fail('server.version reply', 'expected [server_software, protocol_version]');
  }
  return { serverSoftware: String(v[0]).slice(0, 200), protocol: v[1] as string };
}

export interface ServerFeatures {
  genesis_hash: string;
  hash_function?: string;
  server_version?: string;
  protocol_min?: string;
  protocol_max?: string;
  [k: string]: unknown;
}

export function parseFeatures(v: unknown): ServerFeatures {
  if (!isObj(v)) fail('server.features', 'not an object');
  if (typeof v.genesis_hash !== 'string') fail('server.features', 'genesis_hash missing');
  if (v.hash_function !== undefined && v.hash_function !== 'sha256') fail('server.features', `hash_function ${String(v.hash_function)} is not sha256`);
  return { ...v, genesis_hash: v.genesis_hash.toLowerCase() } as ServerFeatures;
}
