/**
 * The address type of a wallet as its text tells it, without parsing keys (light enough for the console): a plain
 * xpub/tpub does not say, a key origin's BIP44/49/84/86 purpose hints, ypub/zpub-style keys and descriptors decide.
 */
import type { DescriptorScript } from './descriptor.ts';

/** The single-key address types a merchant chooses for a plain xpub/tpub, which does not say its own. */
export type ChosenScript = 'p2pkh' | 'p2sh-p2wpkh' | 'p2wpkh' | 'p2tr';
export const WRAP: Record<ChosenScript, (key: string) => string> = {
  p2pkh: (k) => `pkh(${k})`,
  'p2sh-p2wpkh': (k) => `sh(wpkh(${k}))`,
  p2wpkh: (k) => `wpkh(${k})`,
  p2tr: (k) => `tr(${k})`,
};
export const SCRIPT_LABEL: Record<DescriptorScript, string> = {
  p2pkh: 'Legacy (P2PKH, 1… / m… addresses)',
  'p2sh-p2wpkh': 'Nested SegWit (P2SH-P2WPKH, 3… / 2… addresses)',
  p2wpkh: 'Native SegWit (P2WPKH, bc1q… / tb1q… addresses)',
  p2tr: 'Taproot (P2TR, bc1p… / tb1p… addresses)',
  'p2wsh-sortedmulti': 'Multisig (P2WSH sortedmulti)',
};

export const ORIGIN_KEY_RE = /^\[([0-9a-fA-F]{8}((?:\/\d{1,10}['hH]?)*))\]([1-9A-HJ-NP-Za-km-z]{100,120})$/;

/** The address type a key-origin path's BIP44/49/84/86 purpose says (`[fp/84'/0'/0']` → p2wpkh), else null. */
export function scriptOfOriginPath(path: string): ChosenScript | null {
  const purpose = /^\/(\d+)['hH]/.exec(path)?.[1];
  return purpose === '44' ? 'p2pkh' : purpose === '49' ? 'p2sh-p2wpkh' : purpose === '84' ? 'p2wpkh' : purpose === '86' ? 'p2tr' : null;
}

/**
 * What the pasted text says about its address type: `fixed` for descriptors and ypub/zpub-style keys (the text
 * decides), else the hint a key origin gives (null: the merchant must choose).
 */
export function scriptHint(input: string): { fixed: boolean; hint: ChosenScript | null } {
  const s = input.trim();
  const o = ORIGIN_KEY_RE.exec(s);
  if (o) return { fixed: false, hint: scriptOfOriginPath(o[2] ?? '') };
  if (/[()#]/.test(s)) return { fixed: true, hint: null };
  return { fixed: !/^[xt]pub/.test(s), hint: null };
}

