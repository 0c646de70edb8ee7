/**
 * What deserves a native desktop notification (docs/spec/notifications.md#guarantees: a delivery reaching FAILURE and the gap reaching 20 alert
 * the merchant; the in-person seller wants "Paid" even with the window in the background). Plain data, so it is
 * tested in Node; src/main only shows what this returns.
 */
import type { StoredEvent } from './events.ts';
import { formatBtc } from '../core/money.ts';

export interface Alert {
  title: string;
  body: string;
}

export function alertFor(e: Pick<StoredEvent, 'type' | 'data'>): Alert | null {
  const invoice = e.data.invoice as { amount_sats?: number; label?: string; userdata?: string } | undefined;
  const what = invoice ? `${formatBtc(invoice.amount_sats ?? 0)} BTC${invoice.label ? ` — ${invoice.label}` : invoice.userdata ? ` — ${invoice.userdata}` : ''}` : '';
  switch (e.type) {
    case 'invoice.paid':
    case 'invoice.paid_late':
      return { title: 'Payment received', body: what };
    case 'invoice.confirmed':
      return { title: 'Payment confirmed', body: what };
    case 'delivery.failed': {
      const d = e.data.delivery as { agent_id?: string; txid?: string | null } | undefined;
      return {
        title: 'A callback could not be delivered',
        body: `Every retry failed${d?.txid ? ` for ${d.txid.slice(0, 12)}…` : ''}. Open Notifications to see why and resend.`,
      };
    }
    case 'wallet.gap_warning':
      return { title: 'Wallet gap warning', body: String(e.data.message ?? '') };
    case 'rate.stale': // fiat sales stop until a source answers (docs/rates.md "Stale means stop")
      return { title: `No ${String(e.data.currency ?? '')} exchange rate`, body: String(e.data.message ?? '') };
    default:
      return null;
  }
}
