/**
 * Anchoring the header chain on a shipped checkpoint, never on what a server claims (docs/trust.md,
 * docs/decisions/0030-checkpoints.md). A fresh install fetches the whole difficulty period that ends at the
 * checkpoint: its headers are trusted because they hash-link to the checkpoint's hash, and they supply what the
 * rules need below the anchor (the period's first header for the next retarget, the last 11 times for the median
 * time past). Every header above it is then verified by `verifyHeaders`.
 */
import { CHECKPOINT_DATA, type CheckpointData } from './checkpoints-data.ts';
import {
  CHAIN_RULES,
  contextFromTrustedRun,
  HeaderRuleError,
  RETARGET_INTERVAL,
  requiredBits,
  type ChainName,
  type ChainRules,
  type HeaderContext,
} from './work.ts';

export interface Checkpoint extends Omit<CheckpointData, 'chainwork'> {
  chain: ChainName;
  chainwork: bigint;
}

export function checkpointFor(chain: ChainName): Checkpoint {
  const d = CHECKPOINT_DATA[chain];
  return { ...d, chain, chainwork: BigInt('0x' + d.chainwork) };
}

/** The headers to fetch to anchor on `cp`: the difficulty period that ends at it, or genesis alone. */
export function anchorRange(cp: Pick<Checkpoint, 'height'>): { start: number; count: number } {
  if (cp.height === 0) return { start: 0, count: 1 };
  if ((cp.height + 1) % RETARGET_INTERVAL !== 0) throw new Error(`checkpoint ${cp.height} is not the last header of a difficulty period`);
  return { start: cp.height + 1 - RETARGET_INTERVAL, count: RETARGET_INTERVAL };
}

/**
 * The verified context at the checkpoint, from the headers `anchorRange` names (concatenated hex or a list).
 * Throws HeaderRuleError when they do not hash-link to the checkpoint or disagree with its recorded bits.
 */
export function anchorContext(cp: Checkpoint, run: string | readonly string[], rules: ChainRules = CHAIN_RULES[cp.chain]): HeaderContext {
  const { start, count } = anchorRange(cp);
  const list = typeof run === 'string' ? Array.from({ length: run.length / 160 }, (_, i) => run.slice(i * 160, i * 160 + 160)) : run;
  if (list.length !== count || (typeof run === 'string' && run.length % 160 !== 0)) {
    throw new HeaderRuleError(start, 'parse', `anchoring on checkpoint ${cp.height} needs headers ${start}–${cp.height} (${count}), got ${list.length}`);
  }
  const ctx = contextFromTrustedRun(rules, list, start, cp.hash, cp.chainwork);
  if (cp.height === 0 && cp.genesis !== cp.hash) throw new Error('a height-0 checkpoint is the genesis header');
  if (cp.bits !== null && ctx.bits !== cp.bits) {
    throw new HeaderRuleError(cp.height, 'bits', `checkpoint header ${cp.height} has bits 0x${ctx.bits.toString(16)}, the checkpoint records 0x${cp.bits.toString(16)}`);
  }
  if (cp.nextBits !== null) {
    const next = requiredBits(rules, ctx, ctx.time);
    if (next !== cp.nextBits) {
      throw new HeaderRuleError(cp.height + 1, 'bits', `the period after checkpoint ${cp.height} retargets to 0x${next.toString(16)}, the checkpoint records 0x${cp.nextBits.toString(16)}`);
    }
  }
  return ctx;
}

/**
 * What a server's claimed tip height says before any of its headers is checked: a chain that ends below the
 * checkpoint has less work than the chain Satdesk already knows, so it is refused at once. A claim at or above
 * it proves nothing until the headers reach it. Returns the reason to refuse, or null.
 */
export function refuseShortChain(cp: Pick<Checkpoint, 'height'>, claimedHeight: number): string | null {
  if (!Number.isSafeInteger(claimedHeight) || claimedHeight < 0) return `the server claims an impossible tip height (${String(claimedHeight)})`;
  if (claimedHeight < cp.height) {
    return `the server's chain ends at height ${claimedHeight}, below the checkpoint at ${cp.height}: it has less work than the chain Satdesk ships with`;
  }
  return null;
}
