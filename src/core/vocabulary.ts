/**
 * Satdesk's words, each defined once with a one-line meaning (docs/decisions/0014-one-vocabulary.md). The contract's
 * zod enums, the console's event subscriptions, the planner's callback events and the tables in docs/spec/ are all
 * derived from these lists; test/unit/vocabulary.test.ts checks that they are.
 */

/** A tuple of the keys of a meanings table, in the table's order (z.enum needs a non-empty tuple). */
function keysOf<const T extends Record<string, unknown>>(table: T): [keyof T & string, ...(keyof T & string)[]] {
  return Object.keys(table) as [keyof T & string, ...(keyof T & string)[]];
}

export const NETWORK_MEANING = {
  mainnet: 'Bitcoin',
  testnet: 'testnet3',
  signet: 'the default signet',
  regtest: 'a local regression-test chain (the sandbox, or bitcoind -regtest)',
} as const;
export type NetworkName = keyof typeof NETWORK_MEANING;
export const NETWORKS = keysOf(NETWORK_MEANING);

/** Which address family connections and the API listener use (docs/spec/api.md#commands). */
export const IP_FAMILIES = ['auto', 'ipv4', 'ipv6'] as const;
export type IpFamilyName = (typeof IP_FAMILIES)[number];

/** docs/spec/api.md#roles: who an API token stands for. */
export const ROLE_MEANING = {
  owner: "everything: the data dir's own token and the desktop app",
  cashier: "sells at a till: today's invoices and their status, a cash-desk note",
  display: "a customer-facing screen: one till's current sale",
} as const;
export type Role = keyof typeof ROLE_MEANING;
export const ROLES = keysOf(ROLE_MEANING);

/** docs/spec/invoices.md#statuses */
export const INVOICE_STATUS_MEANING = {
  unpaid: 'nothing received yet',
  partial: 'something received, less than due (amount minus tolerance); the missing amount is shown',
  paid: 'due amount received, not yet with the required confirmations',
  confirmed: 'due amount received with the required confirmations: fulfil the order',
  expired: 'expiry passed while unpaid or partial',
  invalid: 'paid but not confirmed before the monitoring window ended (becomes confirmed + late if it confirms later)',
  cancelled: 'cancelled by the merchant',
} as const;
export type InvoiceStatus = keyof typeof INVOICE_STATUS_MEANING;
export const INVOICE_STATUSES = keysOf(INVOICE_STATUS_MEANING);

/** docs/spec/invoices.md#flags, in their stable (alphabetical) order: stored and shown in this order. */
export const INVOICE_FLAG_MEANING = {
  late: 'the payment that completed the invoice came after expiry, or it confirmed only after the monitoring window',
  manual: 'the status was set by the merchant, with a note',
  multiple: 'more than one payment counted toward the invoice',
  overpaid: 'more than the amount was received; the excess is overpaid_sats',
} as const;
export type InvoiceFlag = keyof typeof INVOICE_FLAG_MEANING;
export const INVOICE_FLAGS = keysOf(INVOICE_FLAG_MEANING);

/** What the merchant may set with POST /invoices/{id}/mark: a status, or `released` (frees a held address). */
export const MARK_ACTIONS = ['confirmed', 'invalid', 'cancelled', 'released'] as const;
export type MarkAction = (typeof MARK_ACTIONS)[number];

/** docs/spec/wallet.md#address-states */
export const ADDRESS_STATE_MEANING = {
  free: 'a static pool address no invoice holds; the next invoice may take it',
  in_use: 'held by one invoice',
  used: 'a derived address whose invoice let it go: never handed out again',
  removed: 'a static address the merchant removed; kept for its history',
} as const;
export type AddressState = keyof typeof ADDRESS_STATE_MEANING;
export const ADDRESS_STATES = keysOf(ADDRESS_STATE_MEANING);

export const ADDRESS_ORIGINS = ['derived', 'static'] as const;
export type AddressOrigin = (typeof ADDRESS_ORIGINS)[number];

export const WALLET_KINDS = ['xpub', 'descriptor', 'static'] as const;
export type WalletKind = (typeof WALLET_KINDS)[number];

/** docs/books.md#payments-in-the-books: a payment's state in the books (what the exports and the report count). */
export const BOOK_STATE_MEANING = {
  counted: 'it pays the invoice that holds its address: money received, on that invoice',
  unattributed: 'it reached a watched address before any invoice took it: money received, on no invoice',
  reversed: 'its transaction left the address history (replaced, double-spent, reorged out and not mined again): not money',
} as const;
export type BookState = keyof typeof BOOK_STATE_MEANING;
export const BOOK_STATES = keysOf(BOOK_STATE_MEANING);

/** A payment row: `gone` once its transaction left the address history (replaced, double-spent, reorged out). */
export const PAYMENT_STATES = ['active', 'gone'] as const;
export type PaymentState = (typeof PAYMENT_STATES)[number];

/** docs/spec/notifications.md#words */
export const AGENT_FORMAT_MEANING = {
  bitcoinmonitor: 'a signed POST per payment and threshold, in the original bitcoinmonitor body',
  events: 'a signed POST per callback event, in order per invoice',
  xmpp: 'a chat message per payment and threshold, through the XMPP account in settings',
} as const;
export type AgentFormat = keyof typeof AGENT_FORMAT_MEANING;
export const AGENT_FORMATS = keysOf(AGENT_FORMAT_MEANING);

/** docs/spec/notifications.md#delivery-states */
export const DELIVERY_STATE_MEANING = {
  PENDING: 'planned, no attempt ended yet',
  RETRY: 'an attempt failed; the next one is scheduled at next_attempt_at',
  SUCCESS: 'an attempt was answered with a 2xx (or the XMPP server accepted the message)',
  FAILURE: 'the last scheduled attempt failed, or the agent was deleted; alerts the merchant',
} as const;
export type DeliveryState = keyof typeof DELIVERY_STATE_MEANING;
export const DELIVERY_STATES = keysOf(DELIVERY_STATE_MEANING);
/** States a delivery can still leave. */
export const OPEN_DELIVERY_STATES = ['PENDING', 'RETRY'] as const satisfies readonly DeliveryState[];

// ---- events ------------------------------------------------------------------------------------------------------

/** A status step, on invoice events that move the status. */
export interface StatusStep {
  from: InvoiceStatus;
  to: InvoiceStatus;
}

/**
 * The payload of each event type. `I` is the invoice as the API shows it and `D` a delivery as the API shows it
 * (both defined by the contract in src/shared, which instantiates `SatdeskEvent`).
 */
export interface EventPayloads<I, D> {
  'invoice.created': { invoice: I };
  'invoice.partially_paid': { invoice: I } & StatusStep;
  'invoice.paid': { invoice: I } & StatusStep;
  'invoice.paid_late': { invoice: I } & StatusStep;
  /** zero_conf: accepted on unconfirmed payments (docs/spec/invoices.md#0-conf) */
  'invoice.confirmed': { invoice: I; zero_conf: boolean } & StatusStep;
  'invoice.expired': { invoice: I } & StatusStep;
  'invoice.invalid': { invoice: I } & StatusStep;
  'invoice.overpaid': { invoice: I };
  'invoice.cancelled': { invoice: I } & StatusStep;
  'invoice.marked': { invoice: I } & StatusStep;
  'invoice.reverted': { invoice: I } & StatusStep;
  'invoice.refund_recorded': {
    invoice: I;
    refund: { id: number; sats: number; txid: string | null; note: string; created_at: string };
  };
  'invoice.refund_updated': {
    invoice: I;
    refund: { id: number; sats: number; txid: string | null; note: string; created_at: string };
  };
  'payment.unattributed': { payment: { txid: string; address: string; sats: number; height: number; rbf: boolean } };
  /** `invoice`: the invoice the payment counted toward, after the reversal; null for an unattributed payment */
  'payment.reversed': { payment: { txid: string; address: string; sats: number; height: number }; invoice: I | null; reason: string };
  'chain.tip': { height: number; hash: string; reorg?: { fork_height: number; depth: number } };
  'chain.status': {
    connected: boolean;
    server?: string | null;
    protocol?: string | null;
    reason?: string;
    tip_height: number | null;
  };
  /** two servers disagree on what no proof covers (docs/trust.md "Two servers"): a tip, a mempool payment, a status */
  'chain.alert': { kind: 'unproven_tip' | 'bad_headers' | 'behind' | 'omission'; server: string; message: string };
  /** a server's chain failed the header checks (docs/trust.md): the server is left, nothing it said counts */
  'chain.refused': { server: string; reason: string; checkpoint_height: number };
  'delivery.failed': { delivery: D };
  'wallet.gap_warning': { gap: number; message: string };
  /** the wallet scan found derived addresses with history: never handed out (docs/spec/wallet.md) */
  'wallet.history_found': { indexes: number[]; next_index: number; message: string };
  /** Sent on the event stream only, never stored: the resume point was pruned (docs/security.md#retention). */
  reload: { reason: string };
  'rate.stale': { currency: string; message: string; age_s: number | null };
  'rate.live': { currency: string; rate: string; kind: 'live' | 'manual'; sources: string[] };
}

export type EventType = keyof EventPayloads<unknown, unknown>;

/** Each event type: whether `events` agents receive it (docs/spec/callbacks.md#format-events), and its meaning. */
export const EVENT_TYPE_INFO = {
  'invoice.created': { callback: true, payload: 'invoice', meaning: 'an invoice was created' },
  'invoice.partially_paid': { callback: true, payload: 'invoice, from, to', meaning: 'something arrived, less than due' },
  'invoice.paid': { callback: true, payload: 'invoice, from, to', meaning: 'the due amount was received, in time' },
  'invoice.paid_late': { callback: true, payload: 'invoice, from, to', meaning: 'the due amount was received after expiry' },
  'invoice.confirmed': { callback: true, payload: 'invoice, from, to, zero_conf', meaning: 'the due amount has the required confirmations: fulfil the order (zero_conf: on unconfirmed payments, a promise)' },
  'invoice.expired': { callback: true, payload: 'invoice, from, to', meaning: 'expiry passed while unpaid or partial' },
  'invoice.invalid': { callback: true, payload: 'invoice, from, to', meaning: 'paid but not confirmed within the monitoring window' },
  'invoice.overpaid': { callback: true, payload: 'invoice', meaning: 'more than the amount arrived' },
  'invoice.cancelled': { callback: true, payload: 'invoice, from, to', meaning: 'the merchant cancelled the invoice' },
  'invoice.marked': { callback: true, payload: 'invoice, from, to', meaning: 'the merchant set the status by hand' },
  'invoice.reverted': { callback: true, payload: 'invoice, from, to', meaning: 'a counted transaction disappeared and the status went back' },
  'invoice.refund_recorded': { callback: false, payload: 'invoice, refund', meaning: 'the merchant recorded a refund' },
  'invoice.refund_updated': { callback: false, payload: 'invoice, refund', meaning: 'Satdesk saw the transaction of a refund pay the refund address, confirm, or leave the chain' },
  'payment.unattributed': { callback: true, payload: 'payment', meaning: 'a payment no invoice may count (seen before any invoice took the address)' },
  'payment.reversed': { callback: true, payload: 'payment, invoice, reason', meaning: 'a transaction left an address history (replaced, double-spent, reorged out)' },
  'chain.tip': { callback: false, payload: 'height, hash, reorg?', meaning: 'the verified chain tip moved (reorg: fork height and depth)' },
  'chain.status': { callback: false, payload: 'connected, server?, protocol?, reason?, tip_height', meaning: 'the Electrum connection came up or went down' },
  'chain.alert': { callback: false, payload: 'kind, server, message', meaning: 'two servers disagree: a tip one cannot prove, a payment one omits, a server behind by verified work' },
  'chain.refused': { callback: false, payload: 'server, reason, checkpoint_height', meaning: 'a server’s chain failed the header checks (short, weaker than the checkpoint, or breaking a rule): it is left' },
  'delivery.failed': { callback: false, payload: 'delivery', meaning: 'a delivery reached FAILURE: the merchant is alerted' },
  'wallet.gap_warning': { callback: false, payload: 'gap, message', meaning: 'the wallet gap crossed 20, 50, 100, 200, 500, 1,000, … (once per crossing)' },
  'wallet.history_found': { callback: false, payload: 'indexes, next_index, message', meaning: 'derived addresses already have history: they are skipped, never handed out' },
  reload: { callback: false, payload: 'reason', meaning: 'event stream only: what the client missed was pruned, so it reloads its state and follows on' },
  'rate.stale': { callback: false, payload: 'currency, message, age_s', meaning: 'a fetched currency has no usable rate: its fiat invoices are refused (docs/rates.md)' },
  'rate.live': { callback: false, payload: 'currency, rate, kind, sources', meaning: 'a currency has a usable rate again' },
} as const satisfies Record<EventType, { callback: boolean; payload: string; meaning: string }>;

export const EVENT_TYPES = keysOf(EVENT_TYPE_INFO);

/** The event types `events` agents receive. */
export const CALLBACK_EVENT_TYPES: readonly EventType[] = EVENT_TYPES.filter((t) => EVENT_TYPE_INFO[t].callback);

/** The invoice events a re-evaluation can produce (`transitionEvents` in invoice.ts). */
export type InvoiceTransitionType = Exclude<Extract<EventType, `invoice.${string}`>, 'invoice.created' | 'invoice.refund_recorded' | 'invoice.refund_updated'>;

/** One stored event as it is published (SSE, desktop window): the payload plus id, type and time. */
export type SatdeskEvent<I, D> = {
  [T in EventType]: { id: number; type: T; created_at: string } & EventPayloads<I, D>[T];
}[EventType];

function member<T extends string>(list: readonly T[]): (v: unknown) => v is T {
  return (v): v is T => typeof v === 'string' && (list as readonly string[]).includes(v);
}

export const isNetworkName = member(NETWORKS);
export const isIpFamily = member(IP_FAMILIES);
export const isInvoiceStatus = member(INVOICE_STATUSES);
export const isEventType = member(EVENT_TYPES);
export const isDeliveryState = member(DELIVERY_STATES);
