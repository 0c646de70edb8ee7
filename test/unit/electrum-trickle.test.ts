/**
 * A padding server (ElectrumX 1.18+) holds a write that comes less than a second after its previous one, and may
 * defer a large answer behind held notifications until its timer; any later write from it sends what it holds
 * (src/node/electrum/padding.ts, TrickleFlush). The scripted peer here holds answers the same way, except that its
 * "timer" never fires: an answer comes back only once the client has sent something after the request.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ElectrumClient } from '../../src/node/electrum/client.ts';
import { FILLER } from '../../src/node/electrum/padding.ts';
import { startPeer, type Msg, type PeerConn } from './electrum-peer.ts';

const SH = 'f04bf26fc16a27abaa2f10540da7a24e369e6ec408f2d901202a7c0cd4a6112d';
const STATUS = 'd22435c14ab4c6a2d1cc5b90fc9938c2807118d3d173a488e962db7d595b81b6';
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const isFiller = (m: Msg): boolean => m.method === FILLER.method && JSON.stringify(m.params) === JSON.stringify(FILLER.params);

async function heldPeer(software: string): Promise<{ url: string; conn: () => PeerConn; fillers: () => number }> {
  let held: Msg[] | null = null;
  let conn: PeerConn | null = null;
  let fillers = 0;
  const answer = (c: PeerConn, batch: Msg[]): void =>
    c.send(batch.map((m) => ({ jsonrpc: '2.0', id: m.id, result: m.method === 'blockchain.scripthash.get_history' ? [] : { count: 0, headers: [], max: 2016 } })));
  const peer = await startPeer({
    version: '1.6',
    onConnection: (c) => (conn = c),
    onMessage: (m, c) => {
      if (m.method === 'server.version') {
        c.reply(m.id, [software, '1.6']);
        return true;
      }
      if (!isFiller(m)) return false;
      fillers++;
      // A later write: what was held goes out, then this answer.
      if (held) answer(c, held);
      held = null;
      c.reply(m.id, { count: 0, headers: [], max: 2016 });
      return true;
    },
    onBatch: (batch) => {
      if (!batch.some((m) => m.method === 'blockchain.scripthash.get_history')) return false;
      held = batch; // a padded get_history: held behind the notification written just before
      return true;
    },
  });
  cleanups.push(() => peer.close());
  return { url: peer.url, conn: () => conn!, fillers: () => fillers };
}

describe('after a notification, a padding server gives back what it holds', () => {
  it('ElectrumX: a fetch caused by a notification is answered though the server holds it', async () => {
    const p = await heldPeer('ElectrumX 1.20.0');
    const c = new ElectrumClient({ server: p.url, network: 'regtest', pingIntervalMs: 0, requestTimeoutMs: 20_000 });
    cleanups.push(() => c.close());
    await c.connect();
    expect(c.holdsSmallAnswers).toBe(true);
    const history = new Promise<unknown>((resolve, reject) => c.onScripthash((sh) => void c.getHistory(sh).then(resolve, reject)));
    p.conn().notify('blockchain.scripthash.subscribe', [SH, STATUS]);
    await expect(history).resolves.toEqual([]);
    expect(p.fillers()).toBeGreaterThanOrEqual(1);
  });

});
