/**
 * A payment notification's signed data stored as its fields (src/node/store/signed-data-pack.ts, format 3 of
 * src/node/store/event-data.ts, docs/decisions/0115-signed-data-as-fields.md): read back byte for byte, smaller than
 * deflated, and never used for a text the fields would not give back exactly.
 */
import { describe, expect, it } from 'vitest';
import { packSignedData, unpackSignedData } from '../../src/node/store/signed-data-pack.ts';
import { packBody, unpackText } from '../../src/node/store/event-data.ts';
import { bitcoinmonitorBody, formatCreated } from '../../src/core/signature.ts';
import { formatBtc } from '../../src/core/money.ts';

const T = 1_763_779_200_123;
const data = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  amount: 615_945,
  userdata: 'order-1093036',
  confirmations: 6,
  amount_btc: formatBtc(615_945),
  address: 'bc1qjhezqraep7xffldaz0s04sxxgatufwuexyk0xp',
  created: formatCreated(T),
  txhash: '4a69d46cd239dd4b993b2747a40c38e1026dbbb5012b901f27da88b4933efc08',
  agent: 'shop',
  ...over,
});

describe('signed data as fields', () => {
  it('gives back the exact text, in fewer bytes than deflate', () => {
    for (const d of [data(), data({ userdata: 'Café "☕" \\ 🙂\n', agent: '' }), data({ amount: 0, amount_btc: formatBtc(0), confirmations: 0, created: formatCreated(0) }), data({ amount: 2_100_000_000_000_000, amount_btc: formatBtc(2_100_000_000_000_000) })]) {
      const text = JSON.stringify(d);
      const packed = packBody(text);
      expect(packed[0]).toBe(3);
      expect(unpackText(packed)).toBe(text);
      expect(unpackSignedData(packed)).toBe(text);
    }
    const text = JSON.stringify(data());
    const deflated = packBody(`${text} `); // one space more: not the planner's text, so deflated (format 2)
    expect(deflated[0]).toBe(2);
    expect(unpackText(deflated)).toBe(`${text} `);
    expect(packBody(text).length).toBeLessThan(deflated.length - 20);
  });

  it('packs nothing the fields would not give back exactly', () => {
    const odd = [
      JSON.stringify({ ...data(), extra: 1 }),
      JSON.stringify(Object.fromEntries(Object.entries(data()).reverse())),
      JSON.stringify(data({ amount_btc: '0.00615946' })),
      JSON.stringify(data({ created: '2025-11-22 02:40:00.123456' })),
      JSON.stringify(data({ created: '1969-12-31 23:59:59.999000' })),
      JSON.stringify(data({ txhash: 'A'.repeat(64) })),
      JSON.stringify(data({ amount: -1 })),
      JSON.stringify(data({ amount: 1.5 })),
      JSON.stringify(data({ confirmations: '6' })),
      JSON.stringify(data()).replace(':', ': '),
      bitcoinmonitorBody(data() as never, 'token'),
      '[1,2]',
      'not json',
    ];
    for (const text of odd) {
      expect(packSignedData(text)).toBeNull();
      expect(unpackText(packBody(text))).toBe(text);
    }
  });

  it('refuses a value cut short', () => {
    const packed = packSignedData(JSON.stringify(data()))!;
    for (const cut of [2, 10, 40, packed.length - 1]) expect(() => unpackSignedData(packed.subarray(0, cut))).toThrow(/ends early/);
  });
});
