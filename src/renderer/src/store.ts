/**
 * The console's state (zustand). Filled from the API once and then kept live from the event stream: every
 * invoice event carries the invoice, so screens update without polling.
 */
import { create } from 'zustand';
import type { Invoice, MethodOutput, Settings, Sysinfo } from '../../shared/contract.ts';
import { call, demoCall, subscribe } from './api.ts';

export interface LiveEvent {
  id: number;
  type: string;
  created_at?: string;
  invoice?: Invoice;
  [k: string]: unknown;
}

interface ConsoleState {
  live: boolean;
  sysinfo: Sysinfo | null;
  settings: Settings | null;
  wallet: MethodOutput<'getWallet'> | null;
  demo: boolean;
  /** Latest known view of each invoice the console has seen (list rows, sell screen, customer display). */
  invoices: Record<string, Invoice>;
  /** Bumped on every event: lists that depend on server-side filters re-read what they show. */
  eventSeq: number;
  lastEvent: LiveEvent | null;
  deliverySeq: number;
  toast: string | null;
  setInvoice(inv: Invoice): void;
  refreshSysinfo(): Promise<void>;
  refreshSettings(): Promise<void>;
  refreshWallet(): Promise<void>;
  showToast(text: string): void;
}

export const useConsole = create<ConsoleState>((set, get) => ({
  live: false,
  sysinfo: null,
  settings: null,
  wallet: null,
  demo: false,
  invoices: {},
  eventSeq: 0,
  lastEvent: null,
  deliverySeq: 0,
  toast: null,
  setInvoice: (inv) => set((s) => ({ invoices: { ...s.invoices, [inv.id]: inv } })),
  refreshSysinfo: async () => {
    const sysinfo = await call('sysinfo');
    set({ sysinfo });
  },
  refreshSettings: async () => {
    const settings = await call('getSettings');
    set({ settings });
  },
  refreshWallet: async () => {
    const wallet = await call('getWallet');
    set({ wallet });
  },
  showToast: (text) => {
    set({ toast: text });
    setTimeout(() => {
      if (get().toast === text) set({ toast: null });
    }, 2500);
  },
}));

const invoiceListeners = new Set<(inv: Invoice, type: string) => void>();

/** Invoice events for components that keep their own rows (the virtualized list). */
export function onInvoiceEvent(fn: (inv: Invoice, type: string) => void): () => void {
  invoiceListeners.add(fn);
  return () => invoiceListeners.delete(fn);
}

let sysinfoTimer: ReturnType<typeof setTimeout> | null = null;

/** Loads the console's state and follows the event stream; returns the function that stops following. */
export function startLive(): () => void {
  const st = useConsole.getState();
  void st.refreshSysinfo().catch(() => {});
  void st.refreshSettings().catch(() => {});
  void st.refreshWallet().catch(() => {});
  demoCall<{ demo: boolean }>('status').then(
    (r) => useConsole.setState({ demo: r.demo === true }),
    () => useConsole.setState({ demo: false }),
  );
  // A burst of events (a block confirming many invoices) refreshes the status bar once, not once per event.
  const refreshSoon = (): void => {
    if (sysinfoTimer) return;
    sysinfoTimer = setTimeout(() => {
      sysinfoTimer = null;
      void useConsole.getState().refreshSysinfo().catch(() => {});
      void useConsole.getState().refreshWallet().catch(() => {});
    }, 150);
  };
  const stop = subscribe(
    (e) => {
      const ev = e as LiveEvent;
      const patch: Partial<ConsoleState> = { lastEvent: ev, eventSeq: useConsole.getState().eventSeq + 1 };
      if (ev.invoice && typeof ev.invoice === 'object' && 'id' in ev.invoice) {
        const inv = ev.invoice;
        patch.invoices = { ...useConsole.getState().invoices, [inv.id]: inv };
        for (const fn of invoiceListeners) fn(inv, ev.type);
      }
      if (ev.type.startsWith('delivery.') || ev.type === 'reload') patch.deliverySeq = useConsole.getState().deliverySeq + 1;
      // `reload`: the stream could not replay what this tab missed (pruned); every screen re-reads its data.
      if (ev.type === 'reload') void useConsole.getState().refreshSettings().catch(() => {});
      useConsole.setState(patch);
      refreshSoon();
    },
    (live) => {
      useConsole.setState({ live });
      if (live) refreshSoon();
    },
  );
  return () => {
    stop();
    if (sysinfoTimer) clearTimeout(sysinfoTimer);
    sysinfoTimer = null;
  };
}

/** Can a sale start? With an xpub or descriptor every invoice derives a fresh address; a static pool needs a free one. */
export function sellReadiness(s: Pick<ConsoleState, 'sysinfo' | 'wallet'>): 'unknown' | 'no-source' | 'exhausted' | 'ready' {
  if (!s.sysinfo || !s.wallet) return 'unknown';
  if (s.wallet.kind === 'static' && s.sysinfo.addresses.total === 0) return 'no-source';
  if (!s.sysinfo.accepting_orders) return 'exhausted';
  return 'ready';
}
