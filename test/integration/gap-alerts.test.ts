/**
 * The wallet gap as state the store keeps (migration 008) and its alert once per threshold crossing
 * (docs/spec/wallet.md#the-gap), with real payments and a real double-spend on the sandbox: a shop with many
 * abandoned carts gets a handful of alerts, not one every tenth invoice.
 */
import { describe, expect, it } from 'vitest';
import { watchedShop } from '../helpers/watched.ts';
import { waitFor } from '../helpers/wait.ts';

const shop = watchedShop();

const alerts = (): number[] =>
  (shop.app.db.prepare("SELECT event_json(data) AS data FROM events WHERE type = 'wallet.gap_warning' ORDER BY id").all() as { data: string }[]).map(
    (r) => (JSON.parse(r.data) as { gap: number }).gap,
  );
const gap = async (): Promise<number> => (await shop.api.get('/sysinfo')).body.addresses.gap as number;
async function sell(n: number): Promise<{ id: string; address: string }> {
  let last = { id: '', address: '' };
  for (let i = 0; i < n; i++) {
    const r = await shop.api.post('/invoices', { amount_sats: 10_000 });
    expect(r.status).toBe(201);
    last = r.body;
  }
  return last;
}
const paymentState = (txid: string): string | undefined =>
  (shop.app.db.prepare('SELECT state FROM payments WHERE txid = unhex(?)').get(txid) as { state: string } | undefined)?.state;

describe('wallet gap alerts', () => {
  it('fire at 20, 50 and 100 for 120 unpaid invoices, not every tenth', async () => {
    await sell(120);
    expect(await gap()).toBe(120);
    expect(alerts()).toEqual([20, 50, 100]);
    const warning = (await shop.api.get('/wallet')).body.gap_warning as string;
    expect(warning).toMatch(/^120 addresses in a row have received nothing/);
  });

  it('a payment to the newest address closes the gap and re-arms the alerts', async () => {
    const newest = (shop.app.db.prepare('SELECT address FROM addresses ORDER BY derivation_index DESC LIMIT 1').get() as { address: string }).address;
    const txid = (await shop.sandbox.control<{ txid: string }>('POST', '/pay', { address: newest, sats: 10_000, rbf: true })).body.txid;
    await waitFor(() => paymentState(txid), (s) => s === 'active', 'payment recorded');
    expect(await gap()).toBe(0);
    await sell(20);
    expect(await gap()).toBe(20);
    expect(alerts()).toEqual([20, 50, 100, 20]);

    // The payment is double-spent away: the newest used address is the one before, and the gap jumps back.
    await shop.sandbox.control('POST', '/double-spend', { txid });
    await waitFor(() => paymentState(txid), (s) => s === 'gone', 'payment gone');
    expect(await gap()).toBe(140);
    // The next invoice finds 100 crossed on the way from 20 to 141: one alert, saying where the gap is.
    await sell(1);
    expect(alerts()).toEqual([20, 50, 100, 20, 141]);
    await sell(9);
    expect(alerts()).toEqual([20, 50, 100, 20, 141]);
  });

  it('the kept gap equals the count the wallet rule defines', () => {
    const counted = (
      shop.app.db
        .prepare(
          `SELECT COUNT(*) AS n FROM addresses WHERE origin = 'derived' AND derivation_index > COALESCE(
             (SELECT MAX(a.derivation_index) FROM addresses a JOIN payments p ON p.address_id = a.id WHERE p.state = 'active'), -1)`,
        )
        .get() as { n: number }
    ).n;
    expect(shop.app.service.pool.gap()).toBe(counted);
    expect(counted).toBe(150);
  });
});
