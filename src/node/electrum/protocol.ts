/** Protocol constants and version arithmetic shared by the session, the pool and the sandbox's tests. */
import type { NetworkName } from '../../core/network.ts';

/** Genesis block hashes (display order), checked against server.features. testnet = testnet3. */
export const GENESIS_HASHES: Record<NetworkName, string> = {
  mainnet: '000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f',
  testnet: '000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943',
  signet: '00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6',
  regtest: '0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206',
};

export const CLIENT_NAME = 'satdesk/0.1.0';
/** The range offered in server.version: ElectrumX 1.20 and Fulcrum 2.1 choose 1.6 (docs/electrum.md). */
export const PROTOCOL_MIN = '1.4';
export const PROTOCOL_MAX = '1.6';

export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => Number(x));
  const pb = b.split('.').map((x) => Number(x));
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function isVersionString(v: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){0,3}$/.test(v);
}

