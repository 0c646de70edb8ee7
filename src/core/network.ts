export const NETWORKS = ['mainnet', 'testnet', 'signet', 'regtest'] as const;
export type NetworkName = (typeof NETWORKS)[number];

export function isNetworkName(v: unknown): v is NetworkName {
  return typeof v === 'string' && (NETWORKS as readonly string[]).includes(v);
}
