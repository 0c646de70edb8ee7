/**
 * The console's state (zustand). Filled from the API once and then kept live from the event stream: every
 * invoice event carries the invoice, so screens update without polling.
 */
import { create } from 'zustand';
import type { Invoice, MethodOutput, Settings, Sysinfo } from '../../shared/contract.ts';
import type { CounterConfig, Role, Till } from '../../shared/contract-counter.ts';
import type { StreamEvent } from '../../shared/events.ts';
import { call, demoCall, inElectron, subscribe } from './api.ts';

/** One event from the stream, typed by its `type` (src/shared/events.ts). */
export type LiveEvent = StreamEvent;

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
  /** Who this console is: the owner, a cashier or a display (docs/counter.md); null until known. */
  me: { role: Role; name: string; till: Till | null } | null;
  counter: CounterConfig | null;
  tills: Till[];
  /** The till this console sells at: a paired device's own till, else the owner's choice (kept per browser). */
  tillId: string | null;
  setInvoice(inv: Invoice): void;
  setTill(id: string): void;
  refreshCounter(): Promise<void>;
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
  me: null,
  counter: null,
  tills: [],
  tillId: null,
  setInvoice: (inv) => set((s) => ({ invoices: { ...s.invoices, [inv.id]: inv } })),
  setTill: (id) => {
    localStorage.setItem(TILL_KEY, id);
    set({ tillId: id });
  },
  refreshCounter: async () => {
    const [counter, { tills }] = await Promise.all([call('counterConfig'), call('listTills')]);
    const bound = get().me?.till?.id ?? null;
    const chosen = bound ?? get().tillId ?? localStorage.getItem(TILL_KEY);
    set({ counter, tills, tillId: tills.some((t) => t.id === chosen) ? chosen : (tills[0]?.id ?? null) });
  },
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

const TILL_KEY = 'satdesk.till';

const invoiceListeners = new Set<(inv: Invoice, type: string) => void>();

/** Invoice events for components that keep their own rows (the virtualized list). */
export function onInvoiceEvent(fn: (inv: Invoice, type: string) => void): () => void {
  invoiceListeners.add(fn);
  return () => invoiceListeners.delete(fn);
}

let sysinfoTimer: ReturnType<typeof setTimeout> | null = null;

/**
 * Loads the console's state and keeps it live; returns the function that stops. The owner follows the event stream;
 * a cashier (who may not read it: it carries every invoice) re-reads the status every few seconds, and its charge
 * view follows its till (live.ts). A display needs none of this: it long-polls its till.
 */
export function startLive(): () => void {
  let stopped = false;
  let stopInner: () => void = () => {};
  const who = inElectron() ? Promise.resolve({ role: 'owner' as const, name: 'owner', till: null }) : call('whoami');
  who.then(
    (me) => {
      if (stopped) return;
      useConsole.setState({ me });
      if (me.role === 'display') return;
      void useConsole.getState().refreshCounter().catch(() => {});
      stopInner = me.role === 'owner' ? followEvents() : pollStatus();
    },
    () => useConsole.setState({ live: false }),
  );
  return () => {
    stopped = true;
    stopInner();
  };
}

function pollStatus(): () => void {
  const tick = (): void => {
    useConsole.getState().refreshSysinfo().then(
      () => useConsole.setState({ live: true }),
      () => useConsole.setState({ live: false }),
    );
  };
  tick();
  const t = setInterval(tick, 5000);
  return () => clearInterval(t);
}

function followEvents(): () => void {
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
      const ev = e;
      const patch: Partial<ConsoleState> = { lastEvent: ev, eventSeq: useConsole.getState().eventSeq + 1 };
      if ('invoice' in ev && ev.invoice) {
        const inv = ev.invoice;
        patch.invoices = { ...useConsole.getState().invoices, [inv.id]: inv };
        for (const fn of invoiceListeners) fn(inv, ev.type);
      }
      if (ev.type.startsWith('delivery.') || ev.type === 'reload') patch.deliverySeq = useConsole.getState().deliverySeq + 1;
      // `reload`: the stream could not replay what this tab missed (pruned); every screen re-reads its data.
      if (ev.type === 'reload') void useConsole.getState().refreshSettings().catch(() => {});
      if (ev.type === 'reload') void useConsole.getState().refreshCounter().catch(() => {});
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

/**
 * Can a sale start? With an xpub or descriptor every invoice derives a fresh address (always accepting); a static
 * pool needs a free one. Read from sysinfo alone, which a cashier may read too.
 */
export function sellReadiness(s: Pick<ConsoleState, 'sysinfo'>): 'unknown' | 'no-source' | 'exhausted' | 'ready' {
  if (!s.sysinfo) return 'unknown';
  if (!s.sysinfo.accepting_orders) return s.sysinfo.addresses.total === 0 ? 'no-source' : 'exhausted';
  return 'ready';
}

/** The owner sees everything; a cashier only the selling screens. */
export const isOwner = (s: Pick<ConsoleState, 'me'>): boolean => s.me?.role === 'owner';
