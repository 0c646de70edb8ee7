/**
 * What a test callback carries (docs/callbacks.md): nothing a receiver could mistake for a payment. The address is
 * the P2WSH of the script `OP_RETURN` — valid on the network, provably unspendable, so it cannot be anyone's and no
 * order can point at it; the amount is 0, the txhash 64 zeros, the threshold 0, the userdata `satdesk-test`.
 */
import { payments } from 'bitcoinjs-lib';
import type { NetworkName } from './network.ts';
import { BITCOIN_NETWORKS } from './wallet/networks.ts';
import { formatCreated, type SignedData } from './signature.ts';

export const TEST_TXID = '0'.repeat(64);
export const TEST_USERDATA = 'satdesk-test';
const OP_RETURN = new Uint8Array([0x6a]);

/** The unspendable address test callbacks name, per network (e.g. mainnet `bc1q…`). */
export function testCallbackAddress(network: NetworkName): string {
  return payments.p2wsh({ redeem: { output: OP_RETURN }, network: BITCOIN_NETWORKS[network] }).address!;
}

export function testSignedData(agentName: string, network: NetworkName, now: number): SignedData {
  return {
    amount: 0,
    userdata: TEST_USERDATA,
    confirmations: 0,
    amount_btc: '0.00000000',
    address: testCallbackAddress(network),
    created: formatCreated(now),
    txhash: TEST_TXID,
    agent: agentName,
  };
}

/** The `events` format's test body: its own type, `"test": true`, and the same unspendable address. */
export function testEventBody(network: NetworkName, now: number): Record<string, unknown> {
  return {
    id: 'evt_test',
    type: 'satdesk.test',
    created_at: new Date(now).toISOString(),
    test: true,
    invoice: { id: 'test', status: 'unpaid', amount_sats: 0, userdata: TEST_USERDATA, address: testCallbackAddress(network) },
    payment: { txid: TEST_TXID, sats: 0 },
  };
}
