import { describe, expect, it, beforeEach } from 'vitest';
import { Transaction, script as bscript } from 'bitcoinjs-lib';
import {
  REGTEST_GENESIS_HASH,
  checkProofOfWork,
  electrumStatus,
  merkleRootFromProof,
  parseHeader,
  scriptHashOfScript,
} from '../../src/core/chain/index.ts';
import { hexToHash } from '../../src/core/chain/bytes.ts';
import { SandboxChain } from '../../src/sandbox/chain.ts';
import { SandboxWallet } from '../../src/sandbox/wallet.ts';
import { RejectError, subsidy } from '../../src/sandbox/tx.ts';
import { TestKey } from '../helpers/sandbox.ts';


function fresh(): { chain: SandboxChain; wallet: SandboxWallet } {
  const wallet = new SandboxWallet();
  const chain = new SandboxChain(wallet.script);
  chain.mine(101);
  return { chain, wallet };
}

function rejectReason(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof RejectError) return e.reason;
    throw e;
  }
  throw new Error('expected a rejection');
}

function outputTo(chain: SandboxChain, txid: string, script: Uint8Array): { vout: number; value: number } {
  const tx = chain.getTx(txid)!.tx;
  const vout = tx.outs.findIndex((o) => Buffer.compare(Buffer.from(o.script), Buffer.from(script)) === 0);
  return { vout, value: Number(tx.outs[vout]!.value) };
}

describe('sandbox chain: blocks', () => {
  it('starts with 101 real regtest blocks linked from genesis, PoW, BIP34 coinbases and the subsidy', () => {
    const { chain } = fresh();
    expect(chain.height).toBe(101);
    let prev = REGTEST_GENESIS_HASH;
    for (const b of chain.blocks.slice(1)) {
      const h = parseHeader(b.headerHex);
      expect(h.prevHash).toBe(prev);
      expect(h.bits).toBe(0x207fffff);
      expect(checkProofOfWork(b.headerHex)).toBe(true);
      expect(h.hash).toBe(b.hash);
      const cb = b.txs[0]!.tx;
      expect(cb.isCoinbase()).toBe(true);
      expect(Number(cb.outs[0]!.value)).toBe(subsidy(b.height));
      expect(merkleRootFromProof(b.txs[0]!.txid, chain.merkleProof(b.txs[0]!.txid, b.height)!.merkle, 0)).toBe(h.merkleRoot);
      prev = h.hash;
    }
    expect(subsidy(149)).toBe(50e8);
    expect(subsidy(150)).toBe(25e8);
    expect(subsidy(300)).toBe(12.5e8);
  });

  it('BIP34: the coinbase scriptSig starts with the height', () => {
    const { chain } = fresh();
    const b = chain.mine(1)[0]!;
    const first = bscript.decompile(b.txs[0]!.tx.ins[0]!.script)![0]!;
    expect(first instanceof Uint8Array ? bscript.number.decode(Buffer.from(first)) : (first as number) - 0x50).toBe(102);
  });
});

describe('sandbox wallet and mempool', () => {
  let chain: SandboxChain;
  let wallet: SandboxWallet;
  beforeEach(() => ({ chain, wallet } = fresh()));

  it('pays every address type, several payments per block (unconfirmed change), mined with a witness commitment', () => {
    const keys = (['p2pkh', 'p2sh-p2wpkh', 'p2wpkh', 'p2tr'] as const).map((k) => new TestKey(k));
    const txids = keys.map((k, i) => wallet.pay(chain, [{ address: k.address, sats: 1_000_000 * (i + 1) }]));
    expect(new Set(txids).size).toBe(4);
    expect([...chain.mempool.values()].some((e) => e.parents.size > 0)).toBe(true); // spends unconfirmed change
    expect([...chain.mempool.keys()]).toEqual(txids);
    for (const [i, k] of keys.entries()) {
      const sh = scriptHashOfScript(k.payment().output!);
      const h = chain.history(sh);
      const e = chain.mempool.get(txids[i]!)!;
      expect(h).toEqual([{ tx_hash: txids[i], height: e.parents.size > 0 ? -1 : 0, fee: e.fee }]);
      expect(chain.balance(sh)).toEqual({ confirmed: 0, unconfirmed: 1_000_000 * (i + 1) });
    }
    const parents = new Map(txids.map((id) => [id, [...chain.mempool.get(id)!.parents]]));
    const [block] = chain.mine(1);
    const order = block!.txs.map((t) => t.txid).slice(1);
    expect([...order].sort()).toEqual([...txids].sort());
    for (const [id, ps] of parents) for (const p of ps) expect(order.indexOf(p)).toBeLessThan(order.indexOf(id)); // parents first
    const cb = block!.txs[0]!.tx;
    const commitment = cb.outs.find((o) => o.script[0] === 0x6a && o.script[2] === 0xaa && o.script[5] === 0xed);
    expect(commitment).toBeDefined();
    expect(cb.ins[0]!.witness).toHaveLength(1);
    const fees = txids.reduce((n, id) => n + (1 - 1) + 0 * n + feeOf(chain, id), 0);
    expect(Number(cb.outs[0]!.value)).toBe(subsidy(102) + fees);
    for (const [i, id] of txids.entries()) {
      const p = chain.merkleProof(id, 102)!;
      expect(merkleRootFromProof(id, p.merkle, p.pos)).toBe(parseHeader(block!.headerHex).merkleRoot);
      const sh = scriptHashOfScript(keys[i]!.payment().output!);
      expect(chain.history(sh)).toEqual([{ tx_hash: id, height: 102 }]);
      expect(chain.balance(sh)).toEqual({ confirmed: 1_000_000 * (i + 1), unconfirmed: 0 });
    }
    // each type spends back with a hand-made signature; a corrupted one is refused and changes nothing
    for (const [i, k] of keys.entries()) {
      const { vout, value } = outputTo(chain, txids[i]!, k.payment().output!);
      const bad = k.spend(txids[i]!, vout, value, wallet.script, value - 500, { corrupt: true });
      const before = chain.snapshot();
      expect(rejectReason(() => chain.accept(bad.toHex()))).toMatch(/script-verify-flag|Invalid Schnorr/);
      expect(chain.snapshot()).toEqual(before);
      const good = k.spend(txids[i]!, vout, value, wallet.script, value - 500);
      expect(chain.accept(good.toHex()).t.txid).toBe(good.getId());
    }
  });

  it('refuses bad transactions with bitcoind reasons and changes nothing', () => {
    const k = new TestKey('p2wpkh');
    const paid = wallet.pay(chain, [{ address: k.address, sats: 100_000 }], true);
    chain.mine(1);
    const { vout, value } = outputTo(chain, paid, k.payment().output!);
    const spend = k.spend(paid, vout, value, wallet.script, value - 1000);
    const before = JSON.stringify(chain.snapshot());
    const cases: [string, string | RegExp][] = [
      ['zz', 'TX decode failed'],
      ['0200000000', 'TX decode failed'],
      [k.spend('11'.repeat(32), 0, value, wallet.script, 1000).toHex(), 'bad-txns-inputs-missingorspent'],
      [k.spend(paid, vout, value, wallet.script, value + 1).toHex(), /^bad-txns-in-belowout/],
      [k.spend(paid, vout, value, wallet.script, value - 10).toHex(), /^min relay fee not met, 10 < \d+/],
      [k.spend(paid, vout, value, wallet.script, 100).toHex(), 'dust'],
      [k.spend(paid, vout, value, wallet.script, value - 1000, { corrupt: true }).toHex(), /^non-mandatory-script-verify-flag \(Signature must be zero/],
      [new TestKey('p2wpkh').spend(paid, vout, value, wallet.script, value - 1000).toHex(), /^mandatory-script-verify-flag-failed \(Script failed an OP_EQUALVERIFY/],
    ];
    for (const [hex, reason] of cases) {
      const r = rejectReason(() => chain.accept(hex));
      if (typeof reason === 'string') expect(r).toBe(reason);
      else expect(r).toMatch(reason);
      expect(JSON.stringify(chain.snapshot())).toBe(before);
    }
    // immature coinbase
    const young = chain.blocks[chain.height]!.txs[0]!;
    const cbSpend = new Transaction();
    cbSpend.addInput(hexToHash(young.txid), 0);
    cbSpend.addOutput(wallet.script, 1000n);
    expect(rejectReason(() => chain.accept(cbSpend.toHex()))).toBe('bad-txns-premature-spend-of-coinbase');
    // accepted once, then known; a conflict without higher fee is refused; with a higher fee it replaces
    chain.accept(spend.toHex());
    expect(rejectReason(() => chain.accept(spend.toHex()))).toBe('txn-already-in-mempool');
    const same = k.spend(paid, vout, value, k.payment().output!, value - 1000);
    expect(rejectReason(() => chain.accept(same.toHex()))).toMatch(/^insufficient fee, rejecting replacement/);
    const final = k.spend(paid, vout, value, k.payment().output!, value - 1500, { sequence: 0xffffffff });
    const repl = chain.accept(final.toHex());
    expect([...chain.mempool.keys()]).toEqual([repl.t.txid]);
    // the replacement did not signal: a further conflict is refused
    const again = k.spend(paid, vout, value, wallet.script, value - 9000);
    expect(rejectReason(() => chain.accept(again.toHex()))).toBe('txn-mempool-conflict');
    chain.mine(1);
    expect(rejectReason(() => chain.accept(final.toHex()))).toBe('txn-already-known');
    expect(rejectReason(() => chain.accept(again.toHex()))).toBe('bad-txns-inputs-missingorspent');
  });

  it('double-spend replaces a payment and its descendants; status changes', () => {
    const k = new TestKey('p2wpkh');
    const sh = scriptHashOfScript(k.payment().output!);
    const a = wallet.pay(chain, [{ address: k.address, sats: 200_000 }]);
    const out = outputTo(chain, a, k.payment().output!);
    const b = chain.accept(k.spend(a, out.vout, out.value, k.payment().output!, out.value - 500).toHex()).t.txid; // a child by someone else
    const s1 = chain.status(sh);
    const r = wallet.doubleSpend(chain, a);
    expect(chain.mempool.has(a)).toBe(false);
    expect(chain.mempool.has(b)).toBe(false);
    expect(chain.mempool.has(r)).toBe(true);
    expect(chain.status(sh)).toBeNull();
    expect(s1).not.toBeNull();
    expect(() => wallet.doubleSpend(chain, a)).toThrow(`no unconfirmed transaction ${a}`);
  });

  it('reorg: blocks replaced at the same heights, txs back to the mempool except dropped ones and descendants', () => {
    const k = new TestKey('p2wpkh');
    const sh = scriptHashOfScript(k.payment().output!);
    const a = wallet.pay(chain, [{ address: k.address, sats: 200_000 }]);
    const b = wallet.pay(chain, [{ address: new TestKey('p2pkh').address, sats: 300_000 }]);
    chain.mine(1);
    const out = outputTo(chain, a, k.payment().output!);
    const c = chain.accept(k.spend(a, out.vout, out.value, k.payment().output!, out.value - 500).toHex()).t.txid;
    chain.mine(1);
    const oldTip = chain.tip.hash;
    const oldStatus = chain.status(sh);
    const r1 = chain.reorg(2);
    expect(r1.height).toBe(103);
    expect(chain.tip.hash).not.toBe(oldTip);
    expect(new Set(r1.returned)).toEqual(new Set([a, b, c]));
    expect(chain.history(sh).every((h) => h.height <= 0)).toBe(true);
    expect(chain.status(sh)).not.toBe(oldStatus);
    expect(parseHeader(chain.blocks[102]!.headerHex).prevHash).toBe(chain.blocks[101]!.hash);
    chain.mine(1);
    expect(chain.history(sh).map((h) => h.height)).toEqual([104, 104]);
    const r2 = chain.reorg(1, [a]);
    expect(new Set(r2.dropped)).toEqual(new Set([a, c]));
    expect(r2.returned).toEqual([b]);
    expect([...chain.mempool.keys()]).toEqual([b]);
    expect(electrumStatus(chain.history(sh))).toBeNull();
  });

  it('mines mempool txs in fee-rate order, parents before children', () => {
    const [a, b] = [new TestKey('p2wpkh'), new TestKey('p2pkh')];
    const pa = wallet.pay(chain, [{ address: a.address, sats: 100_000 }]);
    const pb = wallet.pay(chain, [{ address: b.address, sats: 100_000 }]);
    chain.mine(1);
    const oa = outputTo(chain, pa, a.payment().output!);
    const ob = outputTo(chain, pb, b.payment().output!);
    const low = chain.accept(a.spend(pa, oa.vout, oa.value, a.payment().output!, oa.value - 200).toHex()).t.txid; // ~1.8 sat/vB
    const high = chain.accept(b.spend(pb, ob.vout, ob.value, wallet.script, ob.value - 5000).toHex()).t.txid;
    const child = chain.accept(a.spend(low, 0, oa.value - 200, wallet.script, oa.value - 200 - 20_000).toHex()).t.txid; // pays for its parent
    const [block] = chain.mine(1);
    expect(block!.txs.slice(1).map((t) => t.txid)).toEqual([high, low, child]);
  });

  it('snapshot/restore round-trips blocks and mempool', () => {
    const k = new TestKey('p2tr');
    wallet.pay(chain, [{ address: k.address, sats: 5000 }]);
    chain.mine(1);
    wallet.pay(chain, [{ address: k.address, sats: 6000 }, { address: new TestKey('p2pkh').address, sats: 7000 }], true);
    const snap = chain.snapshot();
    const other = new SandboxChain(wallet.script);
    other.restore(JSON.parse(JSON.stringify(snap)));
    expect(other.tip.hash).toBe(chain.tip.hash);
    expect([...other.mempool.keys()]).toEqual([...chain.mempool.keys()]);
    const sh = scriptHashOfScript(k.payment().output!);
    expect(other.history(sh)).toEqual(chain.history(sh));
  });
});

function feeOf(chain: SandboxChain, txid: string): number {
  // after mining: fee = inputs - outputs, recomputed from the chain's own transactions
  const t = chain.getTx(txid)!.tx;
  let ins = 0;
  for (const i of t.ins) ins += Number(chain.getTx(Buffer.from(i.hash).reverse().toString('hex'))!.tx.outs[i.index]!.value);
  return ins - t.outs.reduce((n, o) => n + Number(o.value), 0);
}
