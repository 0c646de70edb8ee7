import { Transaction, address as baddress, crypto, networks, opcodes, payments, script as bscript } from 'bitcoinjs-lib';
import { ecc } from '../core/ecc.ts';
import { bytesToHex } from '../core/chain/bytes.ts';
import { concatBytes } from '../core/wallet/encoding.ts';

export const NETWORK = networks.regtest;
export const COINBASE_MATURITY = 100;
export const HALVING_INTERVAL = 150; // regtest (chainparams.cpp: consensus.nSubsidyHalvingInterval = 150)
export const MIN_RELAY_SAT_PER_VB = 1;

/** Why bitcoind would refuse a transaction; `reason` is bitcoind's reject string. */
export class RejectError extends Error {
  readonly reason: string;
  constructor(reason: string) {
    super(reason);
    this.name = 'RejectError';
    this.reason = reason;
  }
}

export function subsidy(height: number): number {
  const halvings = Math.floor(height / HALVING_INTERVAL);
  if (halvings >= 64) return 0;
  return Math.floor(50_0000_0000 / 2 ** halvings);
}

export type ScriptType = 'p2pkh' | 'p2sh' | 'p2wpkh' | 'p2wsh' | 'p2tr' | 'op_return' | 'other';

export function scriptType(s: Uint8Array): ScriptType {
  if (s.length === 25 && s[0] === 0x76 && s[1] === 0xa9 && s[2] === 0x14 && s[23] === 0x88 && s[24] === 0xac) return 'p2pkh';
  if (s.length === 23 && s[0] === 0xa9 && s[1] === 0x14 && s[22] === 0x87) return 'p2sh';
  if (s.length === 22 && s[0] === 0x00 && s[1] === 0x14) return 'p2wpkh';
  if (s.length === 34 && s[0] === 0x00 && s[1] === 0x20) return 'p2wsh';
  if (s.length === 34 && s[0] === 0x51 && s[1] === 0x20) return 'p2tr';
  if (s.length > 0 && s[0] === 0x6a) return 'op_return';
  return 'other';
}

/** Bitcoin Core's dust thresholds at the default 3 sat/vB dust relay fee. */
export function dustThreshold(s: Uint8Array): number {
  switch (scriptType(s)) {
    case 'op_return':
      return 0;
    case 'p2wpkh':
      return 294;
    case 'p2wsh':
    case 'p2tr':
      return 330;
    case 'p2sh':
      return 540;
    default:
      return 546;
  }
}

/** Output script of a regtest address; throws `invalid address` for anything else (incl. other networks). */
export function addressToScript(addr: string): Uint8Array {
  try {
    return baddress.toOutputScript(addr, NETWORK);
  } catch {
    throw new Error(`invalid regtest address: ${addr}`);
  }
}

export function scriptToAddress(s: Uint8Array): string | null {
  try {
    return baddress.fromOutputScript(s, NETWORK);
  } catch {
    return null;
  }
}

export function txidOf(tx: Transaction): string {
  return tx.getId();
}

export function isFinalSequence(tx: Transaction): boolean {
  return tx.ins.every((i) => i.sequence === 0xffffffff);
}

/** BIP125 explicit signal: some input has nSequence < 0xfffffffe. */
export function signalsRbf(tx: Transaction): boolean {
  return tx.ins.some((i) => i.sequence < 0xfffffffe);
}

const ZERO32 = new Uint8Array(32);

/**
 * A BIP34 coinbase: height push then an extra-nonce push (so blocks re-mined at one height after a reorg get
 * distinct coinbase txids), paying `value` to `payTo`, with a BIP141 witness commitment when `witnessRoot` is given.
 */
export function buildCoinbase(height: number, payTo: Uint8Array, value: number, extraNonce: Uint8Array, witnessRoot: Uint8Array | null): Transaction {
  const tx = new Transaction();
  tx.version = 2;
  const sig = bscript.compile([bscript.number.encode(height), extraNonce]);
  tx.addInput(ZERO32, 0xffffffff, 0xffffffff, sig);
  tx.addOutput(payTo, BigInt(value));
  if (witnessRoot) {
    const commitment = crypto.hash256(concatBytes(witnessRoot, ZERO32));
    const data = concatBytes(Uint8Array.from([0xaa, 0x21, 0xa9, 0xed]), commitment);
    tx.addOutput(bscript.compile([opcodes.OP_RETURN!, data]), 0n);
    tx.setWitness(0, [new Uint8Array(32)]);
  }
  return tx;
}

function eq(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const NULLFAIL = 'non-mandatory-script-verify-flag (Signature must be zero for failed CHECK(MULTI)SIG operation)';

function checkEcdsa(sigWithType: Uint8Array | undefined, pubkey: Uint8Array, hashOf: (hashType: number) => Uint8Array): void {
  if (!sigWithType || sigWithType.length === 0) throw new RejectError('mandatory-script-verify-flag-failed (Script evaluated without error but finished with a false/empty top stack element)');
  let decoded: { signature: Uint8Array; hashType: number };
  try {
    decoded = bscript.signature.decode(sigWithType);
  } catch {
    throw new RejectError('mandatory-script-verify-flag-failed (Non-canonical DER signature)');
  }
  if (!ecc.isPoint(pubkey)) throw new RejectError('mandatory-script-verify-flag-failed (Public key is neither compressed or uncompressed)');
  const base = decoded.hashType & ~0x80;
  if (base < 1 || base > 3) throw new RejectError('mandatory-script-verify-flag-failed (Signature hash type missing or not understood)');
  if (!ecc.verify(hashOf(decoded.hashType), pubkey, decoded.signature, true)) throw new RejectError(NULLFAIL);
}

/**
 * Verify input `i` spending `prevScripts[i]` / `values[i]`. Covers P2PKH, P2SH-P2WPKH, P2WPKH and P2TR key path;
 * other script types are refused rather than waved through.
 */
export function verifyInput(tx: Transaction, i: number, prevScripts: Uint8Array[], values: bigint[]): void {
  const input = tx.ins[i]!;
  const prev = prevScripts[i]!;
  const value = values[i]!;
  const witness = input.witness;
  const type = scriptType(prev);
  const p2wpkh = (program: Uint8Array): void => {
    if (witness.length !== 2) throw new RejectError('mandatory-script-verify-flag-failed (Witness program hash mismatch)');
    const pubkey = witness[1]!;
    if (pubkey.length !== 33) throw new RejectError('mandatory-script-verify-flag-failed (Using non-compressed keys in segwit)');
    if (!eq(crypto.hash160(pubkey), program)) throw new RejectError('mandatory-script-verify-flag-failed (Script failed an OP_EQUALVERIFY operation)');
    const scriptCode = payments.p2pkh({ hash: program }).output!;
    checkEcdsa(witness[0], pubkey, (ht) => tx.hashForWitnessV0(i, scriptCode, value, ht));
  };
  switch (type) {
    case 'p2wpkh': {
      if (input.script.length !== 0) throw new RejectError('mandatory-script-verify-flag-failed (Witness requires empty scriptSig)');
      p2wpkh(prev.subarray(2));
      return;
    }
    case 'p2pkh': {
      if (witness.length !== 0) throw new RejectError('mandatory-script-verify-flag-failed (Witness provided for non-witness script)');
      const chunks = bscript.decompile(input.script);
      if (!chunks || chunks.length !== 2 || !(chunks[0] instanceof Uint8Array) || !(chunks[1] instanceof Uint8Array)) {
        throw new RejectError('mandatory-script-verify-flag-failed (Operation not valid with the current stack size)');
      }
      const pubkey = chunks[1];
      if (!eq(crypto.hash160(pubkey), prev.subarray(3, 23))) throw new RejectError('mandatory-script-verify-flag-failed (Script failed an OP_EQUALVERIFY operation)');
      checkEcdsa(chunks[0], pubkey, (ht) => tx.hashForSignature(i, prev, ht));
      return;
    }
    case 'p2sh': {
      const chunks = bscript.decompile(input.script);
      const redeem = chunks && chunks.length === 1 && chunks[0] instanceof Uint8Array ? chunks[0] : null;
      if (!redeem) throw new RejectError('mandatory-script-verify-flag-failed (Only push operators allowed in signatures)');
      if (!eq(crypto.hash160(redeem), prev.subarray(2, 22))) throw new RejectError('mandatory-script-verify-flag-failed (Script evaluated without error but finished with a false/empty top stack element)');
      if (scriptType(redeem) !== 'p2wpkh') throw new RejectError('non-mandatory-script-verify-flag (sandbox verifies P2SH-P2WPKH only)');
      p2wpkh(redeem.subarray(2));
      return;
    }
    case 'p2tr': {
      if (input.script.length !== 0) throw new RejectError('mandatory-script-verify-flag-failed (Witness requires empty scriptSig)');
      let stack = witness;
      const last = stack[stack.length - 1];
      const annex = stack.length >= 2 && last && last[0] === 0x50 ? last : undefined;
      if (annex) stack = stack.slice(0, -1);
      if (stack.length !== 1) throw new RejectError('non-mandatory-script-verify-flag (sandbox verifies P2TR key path only)');
      const sig = stack[0]!;
      let hashType = Transaction.SIGHASH_DEFAULT;
      if (sig.length === 65) {
        hashType = sig[64]!;
        if (hashType === 0) throw new RejectError('mandatory-script-verify-flag-failed (Invalid Schnorr signature hash type)');
      } else if (sig.length !== 64) {
        throw new RejectError('mandatory-script-verify-flag-failed (Invalid Schnorr signature size)');
      }
      const hash = tx.hashForWitnessV1(i, prevScripts, values, hashType, undefined, annex);
      if (!ecc.verifySchnorr(hash, prev.subarray(2), sig.subarray(0, 64))) {
        throw new RejectError('mandatory-script-verify-flag-failed (Invalid Schnorr signature)');
      }
      return;
    }
    default:
      throw new RejectError(`non-mandatory-script-verify-flag (sandbox cannot verify ${type} inputs)`);
  }
}

/** bitcoind's decoderawtransaction-like view for `blockchain.transaction.get(txid, true)`. */
export function decodeTx(tx: Transaction, hex: string): Record<string, unknown> {
  return {
    txid: tx.getId(),
    hash: bytesToHex(tx.getHash(true).slice().reverse()),
    version: tx.version,
    size: tx.byteLength(),
    vsize: tx.virtualSize(),
    weight: tx.weight(),
    locktime: tx.locktime,
    vin: tx.ins.map((i) =>
      tx.isCoinbase()
        ? { coinbase: bytesToHex(i.script), sequence: i.sequence }
        : {
            txid: bytesToHex(i.hash.slice().reverse()),
            vout: i.index,
            scriptSig: { asm: bscript.toASM(i.script), hex: bytesToHex(i.script) },
            ...(i.witness.length ? { txinwitness: i.witness.map((w) => bytesToHex(w)) } : {}),
            sequence: i.sequence,
          },
    ),
    vout: tx.outs.map((o, n) => {
      const addr = scriptToAddress(o.script);
      return {
        value: Number(o.value) / 1e8,
        n,
        scriptPubKey: {
          asm: bscript.toASM(o.script),
          hex: bytesToHex(o.script),
          type: scriptTypeName(o.script),
          ...(addr ? { address: addr } : {}),
        },
      };
    }),
    hex,
  };
}

function scriptTypeName(s: Uint8Array): string {
  switch (scriptType(s)) {
    case 'p2pkh':
      return 'pubkeyhash';
    case 'p2sh':
      return 'scripthash';
    case 'p2wpkh':
      return 'witness_v0_keyhash';
    case 'p2wsh':
      return 'witness_v0_scripthash';
    case 'p2tr':
      return 'witness_v1_taproot';
    case 'op_return':
      return 'nulldata';
    default:
      return 'nonstandard';
  }
}

export function btc(sats: number): string {
  const neg = sats < 0;
  const a = Math.abs(sats);
  return `${neg ? '-' : ''}${Math.floor(a / 1e8)}.${String(a % 1e8).padStart(8, '0')}`;
}
