export { sha256d, reverseBytes, hashToHex, hexToHash } from './bytes.ts';
export { electrumStatus, sortHistory, type HistoryEntry } from './status.ts';
export { merkleRootFromProof, merkleBranch, merkleRoot } from './merkle.ts';
export {
  REGTEST_GENESIS_HEADER,
  REGTEST_GENESIS_HASH,
  REGTEST_BITS,
  parseHeader,
  headerHash,
  serializeHeader,
  serializeHeaderHex,
  bitsToTarget,
  checkProofOfWork,
  type BlockHeader,
} from './header.ts';
export { scriptHashOfScript } from './scripthash.ts';
export {
  CHAIN_RULES,
  HeaderRuleError,
  headerWork,
  medianTimePast,
  requiredBits,
  retargetBits,
  targetToBits,
  verifyHeader,
  verifyHeaders,
  type ChainName,
  type ChainRules,
  type HeaderContext,
  type HeaderRule,
  type VerifiedHeader,
} from './work.ts';
export { anchorContext, anchorRange, checkpointFor, refuseShortChain, type Checkpoint } from './checkpoints.ts';
