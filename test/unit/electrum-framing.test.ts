import { describe, expect, it } from 'vitest';
import { LineDecoder, LineTooLongError } from '../../src/node/electrum/framing.ts';

function collect(maxLineBytes?: number) {
  const lines: string[] = [];
  const errors: LineTooLongError[] = [];
  const d = new LineDecoder({ maxLineBytes, onLine: (l) => lines.push(l), onError: (e) => errors.push(e) });
  return { d, lines, errors };
}

describe('LineDecoder', () => {
  it('joins a line split across chunks', () => {
    const { d, lines } = collect();
    d.push(Buffer.from('{"id":1,'));
    d.push(Buffer.from('"result"'));
    expect(lines).toEqual([]);
    d.push(Buffer.from(':null}\n'));
    expect(lines).toEqual(['{"id":1,"result":null}']);
  });

  it('emits many lines from one chunk and keeps the tail', () => {
    const { d, lines } = collect();
    d.push(Buffer.from('a\nb\nc\n\nd'));
    expect(lines).toEqual(['a', 'b', 'c']);
    d.push(Buffer.from('e\r\n'));
    expect(lines).toEqual(['a', 'b', 'c', 'de']);
  });

  it('decodes multi-byte UTF-8 split across chunk boundaries, byte by byte', () => {
    const text = '{"m":"ñ € 𝄞 ✓"}';
    const bytes = Buffer.from(`${text}\n${text}\n`, 'utf8');
    const { d, lines } = collect();
    for (const b of bytes) d.push(Buffer.from([b]));
    expect(lines).toEqual([text, text]);
  });

  it('splits a 4-byte character between two chunks', () => {
    const bytes = Buffer.from('x𝄞y\n', 'utf8'); // 𝄞 = f0 9d 84 9e
    const { d, lines } = collect();
    d.push(bytes.subarray(0, 3));
    d.push(bytes.subarray(3));
    expect(lines).toEqual(['x𝄞y']);
  });

  it('reports an oversize line once and ignores everything after it', () => {
    const { d, lines, errors } = collect(16);
    d.push(Buffer.from('short\n'));
    d.push(Buffer.from('0123456789'));
    expect(errors).toHaveLength(0);
    expect(() => d.push(Buffer.from('0123456789\nnext\n'))).not.toThrow();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(LineTooLongError);
    expect(errors[0]?.message).toBe('line longer than 16 bytes from server');
    expect(d.isFailed).toBe(true);
    d.push(Buffer.from('more\n'));
    expect(lines).toEqual(['short']);
    expect(errors).toHaveLength(1);
  });

  it('counts bytes, not characters, against the cap', () => {
    const { d, lines, errors } = collect(8);
    d.push(Buffer.from('€€\n', 'utf8')); // 6 bytes: fits
    expect(lines).toEqual(['€€']);
    d.push(Buffer.from('€€€\n', 'utf8')); // 9 bytes: too long
    expect(errors).toHaveLength(1);
  });

  it('accepts a line exactly at the cap', () => {
    const { d, lines, errors } = collect(5);
    d.push(Buffer.from('12345\n'));
    expect(lines).toEqual(['12345']);
    expect(errors).toHaveLength(0);
  });
});
