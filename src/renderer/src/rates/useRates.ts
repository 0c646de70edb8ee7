/**
 * The console's view of live rates (docs/rates.md): `GET /rates`, read again every 15 s, on a `rate.*` event and after
 * a settings change. Ages tick in the browser from the server's `age_s` plus the time since it answered, so a clock
 * that differs between the browser and Satdesk does not matter.
 */
import { useEffect, useState } from 'react';
import { create } from 'zustand';
import type { CurrencyRate, Rates } from '../../../shared/contract-rates.ts';
import { call } from '../api.ts';
import { useConsole } from '../store.ts';
import { errorText } from '../format.ts';

interface RatesState {
  rates: Rates | null;
  /** Date.now() when `rates` arrived. */
  fetchedAt: number;
  error: string | null;
  refreshing: boolean;
  load(): Promise<void>;
  refreshNow(): Promise<void>;
}

export const useRatesStore = create<RatesState>((set) => ({
  rates: null,
  fetchedAt: 0,
  error: null,
  refreshing: false,
  load: async () => {
    try {
      const rates = await call('getRates');
      set({ rates, fetchedAt: Date.now(), error: null });
    } catch (e) {
      set({ error: errorText(e) });
    }
  },
  refreshNow: async () => {
    set({ refreshing: true });
    try {
      const rates = await call('refreshRates', { body: {} });
      set({ rates, fetchedAt: Date.now(), error: null });
    } catch (e) {
      set({ error: errorText(e) });
    } finally {
      set({ refreshing: false });
    }
  },
}));

let users = 0;
let stop: (() => void) | null = null;

function startPolling(): () => void {
  const load = (): void => void useRatesStore.getState().load();
  load();
  const timer = setInterval(load, 15_000);
  const unsubscribe = useConsole.subscribe((s, prev) => {
    const rateEvent = s.lastEvent !== prev.lastEvent && s.lastEvent?.type.startsWith('rate.') === true;
    if (s.settings !== prev.settings || rateEvent) load();
    // The keypad prices with the counter's rate: a rate that went stale or came back changes it.
    if (rateEvent) void useConsole.getState().refreshCounter().catch(() => {});
  });
  return () => {
    clearInterval(timer);
    unsubscribe();
  };
}

/** The rates, kept fresh while at least one component uses them. */
export function useRates(): RatesState {
  useEffect(() => {
    if (users++ === 0) stop = startPolling();
    return () => {
      if (--users === 0) {
        stop?.();
        stop = null;
      }
    };
  }, []);
  return useRatesStore();
}

/** The entry for `currency` (default: the shop's), or null. */
export function useCurrencyRate(currency?: string): CurrencyRate | null {
  const { rates } = useRates();
  const cur = currency ?? rates?.currency;
  return rates?.rates.find((r) => r.currency === cur) ?? null;
}

/** Re-renders every `ms` (ages that tick). */
export function useTick(ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

/** An age from the server (seconds when it answered) as of now. */
export function ageNow(ageS: number | null, fetchedAt: number, now: number): number | null {
  return ageS === null ? null : ageS * 1000 + Math.max(0, now - fetchedAt);
}

/** "40,100.5" → "40,100.50": a rate for display, grouped, two decimals rounded half-up, on integers. */
export function fmtRate(rate: string): string {
  const [i = '0', f = ''] = rate.split('.');
  let cents = BigInt(i) * 100n + BigInt((f + '00').slice(0, 2));
  if (Number(f[2] ?? '0') >= 5) cents += 1n;
  const s = cents.toString().padStart(3, '0');
  return `${s.slice(0, -2).replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${s.slice(-2)}`;
}
