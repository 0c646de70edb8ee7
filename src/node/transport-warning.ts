/**
 * Plaintext Electrum transport is a choice the merchant sees (docs/trust.md "Choosing servers",
 * docs/decisions/0034-plaintext-transport-warning.md). On mainnet a `tcp://` server is accepted, but anyone on the
 * network path can read which addresses the shop watches and feed it a fake chain until the header checks refuse it:
 * `serve` prints a warning and sysinfo carries it for the console's banner. Loopback (your own server on this
 * machine) and Tor onion services (encrypted by Tor end to end) are not on an open path and are exempt.
 */
import { isIP } from 'node:net';
import type { NetworkName } from '../core/network.ts';
import { parseServerUrl } from './electrum/url.ts';

function privatePath(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h.endsWith('.onion')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1';
  return false;
}

/** The servers in `urls` that would carry mainnet traffic in plaintext over a network path. */
export function plaintextServers(network: NetworkName, urls: readonly string[]): string[] {
  if (network !== 'mainnet') return [];
  return urls.filter((u) => {
    try {
      const s = parseServerUrl(u);
      return s.protocol === 'tcp' && !privatePath(s.host);
    } catch {
      return false; // a malformed URL is refused elsewhere with its own reason
    }
  });
}

/** The warning to show for `urls` on `network`, or null. */
export function plaintextWarning(network: NetworkName, urls: readonly string[]): string | null {
  const plain = plaintextServers(network, urls);
  if (!plain.length) return null;
  return (
    `Plaintext Electrum connection on mainnet (${plain.join(', ')}): anyone on the network path can see which addresses ` +
    'you watch and tamper with what the server says. Use ssl:// with a certificate signed by a CA or a pinned ' +
    'fingerprint (ssl://host:port#sha256), or your own server on this machine.'
  );
}
