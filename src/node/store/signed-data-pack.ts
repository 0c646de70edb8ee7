/**
 * Format 3 of a stored callback body (src/node/store/event-data.ts, docs/decisions/0115-signed-data-as-fields.md): a
 * payment notification's signed data kept as its fields. The planner writes it as compact JSON with the seed's eight
 * keys in their order (signedDataFor in src/node/callbacks/planner.ts); deflate leaves about 136 bytes of it, mostly
 * the txid's and the address's characters. As fields — the txid as its 32 bytes, the amount, the threshold and the
 * time as numbers, the BTC amount and the time's text made again from them — it takes about 105.
 *
 * A text is packed this way only if the fields, written back, give the very same text; anything else stays format 2.
 * Layout after the format byte: amount, confirmations and the time (ms) as unsigned LEB128 varints, the 32 txid
 * bytes, then userdata, address and agent, each a varint length and UTF-8.
 */
import { formatBtc } from '../../core/money.ts';
import { formatCreated } from '../../core/signature.ts';

export const FORMAT_3 = 3;

const KEYS = 'amount,userdata,confirmations,amount_btc,address,created,txhash,agent';
const CREATED = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})\.(\d{3})000$/;

function varint(out: number[], n: number): void {
  for (; n >= 0x80; n = Math.floor(n / 0x80)) out.push((n % 0x80) | 0x80);
  out.push(n);
}

function text(out: number[], s: string): void {
  const b = Buffer.from(s, 'utf8');
  varint(out, b.length);
  for (const x of b) out.push(x);
}

/** The format-3 bytes of `body`, or null when it is not a signed data text these fields give back exactly. */
export function packSignedData(body: string): Buffer | null {
  let d: Record<string, unknown>;
  try {
    d = JSON.parse(body) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (d === null || typeof d !== 'object' || Array.isArray(d) || Object.keys(d).join(',') !== KEYS) return null;
  const { amount, userdata, confirmations, address, created, txhash, agent } = d;
  if (!Number.isSafeInteger(amount) || (amount as number) < 0 || !Number.isSafeInteger(confirmations) || (confirmations as number) < 0) return null;
  if (typeof userdata !== 'string' || typeof address !== 'string' || typeof agent !== 'string') return null;
  if (typeof txhash !== 'string' || !/^[0-9a-f]{64}$/.test(txhash) || typeof created !== 'string') return null;
  const m = CREATED.exec(created);
  if (!m) return null;
  const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, +m[7]!);
  if (!(ms >= 0) || formatCreated(ms) !== created) return null;
  const out: number[] = [FORMAT_3];
  varint(out, amount as number);
  varint(out, confirmations as number);
  varint(out, ms);
  for (const x of Buffer.from(txhash, 'hex')) out.push(x);
  text(out, userdata);
  text(out, address);
  text(out, agent);
  const packed = Buffer.from(out);
  return unpackSignedData(packed) === body ? packed : null;
}

/** The text a format-3 value was packed from. */
export function unpackSignedData(b: Buffer): string {
  let at = 1;
  const num = (): number => {
    let n = 0;
    for (let scale = 1; ; scale *= 0x80) {
      if (at >= b.length) throw new Error('a packed signed data ends early');
      const x = b[at++]!;
      n += (x & 0x7f) * scale;
      if (x < 0x80) return n;
    }
  };
  const str = (): string => {
    const len = num();
    if (at + len > b.length) throw new Error('a packed signed data ends early');
    return b.toString('utf8', at, (at += len));
  };
  const amount = num();
  const confirmations = num();
  const ms = num();
  if (at + 32 > b.length) throw new Error('a packed signed data ends early');
  const txhash = b.toString('hex', at, (at += 32));
  const userdata = str();
  const address = str();
  const agent = str();
  return JSON.stringify({ amount, userdata, confirmations, amount_btc: formatBtc(amount), address, created: formatCreated(ms), txhash, agent });
}
