/**
 * What the customer display shows, shared between the seller's window and the customer's tab/window. The
 * BroadcastChannel carries the seller's choice of invoice; both sides also follow the event stream, so a paid
 * status reaches the customer even if the channel is unavailable.
 */
import type { Invoice } from '../../shared/contract.ts';

type Msg = { type: 'show'; invoice: Invoice | null } | { type: 'hello' };

const channel: BroadcastChannel | null = typeof BroadcastChannel === 'function' ? new BroadcastChannel('satdesk-customer') : null;
let shown: Invoice | null = null;

channel?.addEventListener('message', (e: MessageEvent<Msg>) => {
  if (e.data?.type === 'hello' && shown) channel.postMessage({ type: 'show', invoice: shown } satisfies Msg);
});

/** Seller side: put this invoice (or nothing) on the customer display. */
export function showOnCustomer(invoice: Invoice | null): void {
  shown = invoice;
  channel?.postMessage({ type: 'show', invoice } satisfies Msg);
}

/** Customer side: follow what the seller shows; asks once for the current one. */
export function followSeller(fn: (invoice: Invoice | null) => void): () => void {
  if (!channel) return () => {};
  const on = (e: MessageEvent<Msg>): void => {
    if (e.data?.type === 'show') fn(e.data.invoice);
  };
  channel.addEventListener('message', on);
  channel.postMessage({ type: 'hello' } satisfies Msg);
  return () => channel.removeEventListener('message', on);
}

export function openCustomerDisplay(): void {
  const url = `${location.pathname}${location.search}#/customer`;
  window.open(url, 'satdesk-customer', 'popup,width=900,height=700');
}
