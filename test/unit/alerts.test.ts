import { describe, expect, it } from 'vitest';
import { alertFor } from '../../src/node/alerts.ts';

describe('desktop alerts', () => {
  it('says "Payment received" and "confirmed" with the amount and label', () => {
    const invoice = { amount_sats: 125_000, label: 'Coffee', userdata: 'order-1' };
    expect(alertFor({ type: 'invoice.paid', data: { invoice } })).toEqual({ title: 'Payment received', body: '0.00125000 BTC — Coffee' });
    expect(alertFor({ type: 'invoice.confirmed', data: { invoice: { ...invoice, label: '' } } })).toEqual({
      title: 'Payment confirmed',
      body: '0.00125000 BTC — order-1',
    });
  });

  it('alerts on a failed delivery and on the gap warning (docs/spec/notifications.md#guarantees), and stays quiet otherwise', () => {
    expect(alertFor({ type: 'delivery.failed', data: { delivery: { txid: 'ab'.repeat(32) } } })?.title).toBe('A callback could not be delivered');
    expect(alertFor({ type: 'wallet.gap_warning', data: { gap: 20, message: 'raise the gap limit' } })).toEqual({
      title: 'Wallet gap warning',
      body: 'raise the gap limit',
    });
    for (const type of ['invoice.created', 'chain.tip', 'invoice.expired', 'payment.unattributed']) expect(alertFor({ type, data: {} })).toBeNull();
  });
});
