import { Transaction, payments, script as bscript } from 'bitcoinjs-lib';
import { ECPair, type ECPairInterface } from './ecpair.ts';
import { hexToHash } from '../core/chain/bytes.ts';
import type { Coin, SandboxChain } from './chain.ts';
import { NETWORK, RejectError, addressToScript, dustThreshold, scriptType } from './tx.ts';

/** Fee rate of the sandbox's own payments (sat/vB); above the 1 sat/vB relay floor so replacements have room. */
export const WALLET_FEE_RATE = 2;

export class WalletError extends Error {
  readonly code: 'invalid_address' | 'invalid_amount' | 'insufficient_funds' | 'not_found' | 'not_ours' | 'rejected';
  constructor(code: WalletError['code'], message: string) {
    super(message);
    this.name = 'WalletError';
    this.code = code;
  }
}

const OUTPUT_VBYTES: Record<string, number> = { p2pkh: 34, p2sh: 32, p2wpkh: 31, p2wsh: 43, p2tr: 43 };
const P2WPKH_INPUT_VBYTES = 68;

/** The sandbox's funded P2WPKH wallet: one key, coinbases mined to it, change back to it. */
export class SandboxWallet {
  readonly key: ECPairInterface;
  readonly script: Uint8Array;
  readonly address: string;

  constructor(wif?: string) {
    this.key = wif ? ECPair.fromWIF(wif, NETWORK) : ECPair.makeRandom({ network: NETWORK });
    const p = payments.p2wpkh({ pubkey: this.key.publicKey, network: NETWORK });
    this.script = p.output!;
    this.address = p.address!;
  }

  get wif(): string {
    return this.key.toWIF();
  }

  private sign(tx: Transaction, coins: Coin[]): void {
    const scriptCode = payments.p2pkh({ hash: this.script.subarray(2) }).output!;
    coins.forEach((c, i) => {
      const hash = tx.hashForWitnessV0(i, scriptCode, BigInt(c.value), Transaction.SIGHASH_ALL);
      const sig = bscript.signature.encode(this.key.sign(hash), Transaction.SIGHASH_ALL);
      tx.setWitness(i, [sig, this.key.publicKey]);
    });
  }

  /** Build and sign a payment (not broadcast); `coins` restricts the inputs (default: any spendable coin). */
  build(chain: SandboxChain, outputs: { address: string; sats: number }[], rbf: boolean, coins?: Coin[]): Transaction {
    if (outputs.length === 0) throw new WalletError('invalid_amount', 'no outputs');
    const outs = outputs.map((o) => {
      let script: Uint8Array;
      try {
        script = addressToScript(o.address);
      } catch {
        throw new WalletError('invalid_address', `not a regtest address: ${String(o.address)}`);
      }
      if (!Number.isSafeInteger(o.sats) || o.sats <= 0 || o.sats > 21e14) throw new WalletError('invalid_amount', `sats must be a positive integer, got ${String(o.sats)}`);
      if (o.sats < dustThreshold(script)) throw new WalletError('invalid_amount', `${o.sats} sats is dust for ${o.address}`);
      return { script, sats: o.sats };
    });
    const target = outs.reduce((n, o) => n + o.sats, 0);
    const baseVb = 11 + outs.reduce((n, o) => n + (OUTPUT_VBYTES[scriptType(o.script)] ?? 43), 0) + OUTPUT_VBYTES.p2wpkh!;
    const picked: Coin[] = [];
    let sum = 0;
    const feeFor = (nIn: number): number => Math.ceil((baseVb + nIn * P2WPKH_INPUT_VBYTES) * WALLET_FEE_RATE);
    for (const c of coins ?? chain.spendable(this.script)) {
      if (sum >= target + feeFor(picked.length)) break;
      picked.push(c);
      sum += c.value;
    }
    let fee = feeFor(picked.length);
    if (sum < target + fee) throw new WalletError('insufficient_funds', `sandbox wallet has ${sum} spendable sats, needs ${target + fee}`);
    const sequence = rbf ? 0xfffffffd : 0xfffffffe;
    let change = sum - target - fee;
    if (change < 1000) {
      fee += change; // too small to be worth an output: it goes to the miner
      change = 0;
    }
    const tx = new Transaction();
    tx.version = 2;
    tx.locktime = chain.height; // anti fee-sniping, as wallets do
    for (const c of picked) tx.addInput(hexToHash(c.txid), c.vout, sequence);
    for (const o of outs) tx.addOutput(o.script, BigInt(o.sats));
    if (change > 0) tx.addOutput(this.script, BigInt(change));
    this.sign(tx, picked);
    return tx;
  }

  /** Pay into the mempool; returns the txid. */
  pay(chain: SandboxChain, outputs: { address: string; sats: number }[], rbf = false): string {
    const tx = this.build(chain, outputs, rbf);
    try {
      return chain.accept(tx.toHex()).t.txid;
    } catch (e) {
      if (e instanceof RejectError) throw new WalletError('rejected', e.reason);
      throw e;
    }
  }

  /**
   * Pay through an unconfirmed parent: first a transaction to the wallet itself, then the payment spending its
   * output, so the payment's history entry has height −1 until the parent confirms.
   */
  payFromUnconfirmed(chain: SandboxChain, outputs: { address: string; sats: number }[], rbf = false): string {
    const total = outputs.reduce((n, o) => n + (Number.isSafeInteger(o.sats) ? o.sats : 0), 0);
    const parentId = this.pay(chain, [{ address: this.address, sats: total + 10_000 }], rbf);
    const parent = chain.mempool.get(parentId)!.t;
    const coins: Coin[] = [];
    parent.tx.outs.forEach((o, vout) => {
      if (Buffer.compare(Buffer.from(o.script), Buffer.from(this.script)) === 0) {
        coins.push({ txid: parentId, vout, value: Number(o.value), script: o.script, height: 0, coinbase: false });
      }
    });
    const tx = this.build(chain, outputs, rbf, coins);
    try {
      return chain.accept(tx.toHex()).t.txid;
    } catch (e) {
      if (e instanceof RejectError) throw new WalletError('rejected', e.reason);
      throw e;
    }
  }

  /**
   * Conflict an unconfirmed payment of this wallet: spend all its inputs back to the wallet with a higher fee
   * (the original and its descendants leave the mempool). Returns the replacement's txid.
   */
  doubleSpend(chain: SandboxChain, txid: string): string {
    const entry = chain.mempool.get(txid);
    if (!entry) throw new WalletError('not_found', `no unconfirmed transaction ${txid}`);
    const coins: Coin[] = entry.t.tx.ins.map((i) => {
      const prevId = Buffer.from(i.hash).reverse().toString('hex');
      const o = chain.getTx(prevId)?.tx.outs[i.index];
      if (!o || Buffer.compare(Buffer.from(o.script), Buffer.from(this.script)) !== 0) {
        throw new WalletError('not_ours', `transaction ${txid} spends coins the sandbox wallet does not own`);
      }
      return { txid: prevId, vout: i.index, value: Number(o.value), script: o.script, height: chain.txHeight(prevId) ?? 0, coinbase: false };
    });
    let evictedFees = 0;
    for (const id of chain.mempoolDescendants([txid])) evictedFees += chain.mempool.get(id)?.fee ?? 0;
    const sum = coins.reduce((n, c) => n + c.value, 0);
    const vsize = 11 + coins.length * P2WPKH_INPUT_VBYTES + OUTPUT_VBYTES.p2wpkh!;
    const fee = Math.max(evictedFees + vsize * 2, Math.ceil(entry.feeRate * vsize) + vsize * 2);
    if (sum - fee < dustThreshold(this.script)) throw new WalletError('insufficient_funds', `inputs of ${txid} cannot pay a replacement fee of ${fee}`);
    const tx = new Transaction();
    tx.version = 2;
    tx.locktime = chain.height;
    for (const c of coins) tx.addInput(hexToHash(c.txid), c.vout, 0xfffffffd);
    tx.addOutput(this.script, BigInt(sum - fee));
    this.sign(tx, coins);
    try {
      return chain.acceptReplacement(tx.toHex()).t.txid;
    } catch (e) {
      if (e instanceof RejectError) throw new WalletError('rejected', e.reason);
      throw e;
    }
  }
}
