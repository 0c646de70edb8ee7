import type { z } from 'zod';
import type { DB } from './store/sqlite.ts';
import { PatchSettingsSchema, type Settings } from '../shared/contract.ts';
import { DEFAULT_COUNTER_SETTINGS } from '../shared/contract-counter.ts';
import type { NetworkName } from '../core/network.ts';
import { SatdeskError } from '../core/errors.ts';
import { parseServerUrl } from './electrum/url.ts';
import { parseProxyUrl } from './electrum/socks.ts';
import { checkXmppAccount } from './callbacks/xmpp.ts';
import { DEFAULT_RATE_SOURCES, sourcesQuoting } from '../core/rates-sources.ts';

export type PatchSettings = z.output<typeof PatchSettingsSchema>;

/** Stored settings: what the API shows plus write-only secrets. */
export interface StoredSettings extends Omit<Settings, 'xmpp'> {
  xmpp: { jid: string | null; password: string | null; service: string | null; plaintext_loopback: boolean };
}

export function defaultSettings(network: NetworkName): StoredSettings {
  return {
    network,
    invoice: { expires_in_s: 900, confirmations: 1, tolerance_pct: 0, monitoring_s: 86_400, zero_conf_limit_sats: 0, zero_conf_risk: 'refuse' },
    pool_release_grace_s: 3600,
    fiat: { currency: 'USD', rates: {}, rates_set_at: {} },
    // Live rates call public APIs: on by default where money is real, off on test networks (docs/rates.md).
    rates: {
      sources: network === 'mainnet' ? [...DEFAULT_RATE_SOURCES] : [],
      currencies: [],
      refresh_s: 60,
      max_age_s: 600,
      outlier_pct: 5,
      min_sources: 1,
      spread_pct: 0,
    },
    refund_policy: '',
    electrum: { servers: [], proxy: null, ip_family: 'auto' },
    xmpp: { jid: null, password: null, service: null, plaintext_loopback: false },
    delivery_log_days: 90,
    events_days: 90,
    api: { enabled: true, port: 8787 },
    counter: structuredClone(DEFAULT_COUNTER_SETTINGS),
  };
}

type Key = keyof StoredSettings;

export function loadSettings(db: DB, network: NetworkName): StoredSettings {
  const s = defaultSettings(network);
  const rows = db.prepare('SELECT key, value FROM settings').all() as { key: string; value: string }[];
  for (const { key, value } of rows) {
    if (key in s) {
      const parsed: unknown = JSON.parse(value);
      const cur = s[key as Key];
      (s as unknown as Record<string, unknown>)[key] =
        cur && typeof cur === 'object' && !Array.isArray(cur) && parsed && typeof parsed === 'object'
          ? { ...cur, ...(parsed as object) }
          : parsed;
    }
  }
  return s;
}

export function saveSetting<K extends Key>(db: DB, key: K, value: StoredSettings[K]): void {
  db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(
    key,
    JSON.stringify(value),
  );
}

/** Applies a validated PATCH: nested objects merge, scalars replace. Returns the new settings. */
export function applySettingsPatch(db: DB, current: StoredSettings, patch: PatchSettings, now = Date.now()): StoredSettings {
  const next: StoredSettings = structuredClone(current);
  if (patch.invoice) next.invoice = { ...next.invoice, ...patch.invoice };
  if (patch.pool_release_grace_s !== undefined) next.pool_release_grace_s = patch.pool_release_grace_s;
  if (patch.fiat) {
    next.fiat = { currency: patch.fiat.currency ?? next.fiat.currency, rates: patch.fiat.rates ?? next.fiat.rates, rates_set_at: {} };
    for (const [cur, rate] of Object.entries(next.fiat.rates)) {
      if (!/[1-9]/.test(rate)) throw new SatdeskError('invalid_request', `fiat.rates.${cur}: a rate must be above zero`);
      // A manual rate's age is shown beside it: keep its time unless the rate itself changed.
      const same = current.fiat.rates[cur] === rate && current.fiat.rates_set_at[cur];
      next.fiat.rates_set_at[cur] = same ? current.fiat.rates_set_at[cur]! : new Date(now).toISOString();
    }
  }
  if (patch.rates) next.rates = { ...next.rates, ...patch.rates };
  if (patch.fiat || patch.rates) {
    const cur = next.fiat.currency;
    if (!next.fiat.rates[cur] && sourcesQuoting(cur, next.rates.sources).length === 0) {
      throw new SatdeskError(
        'invalid_request',
        `${cur} cannot be the shop's currency: no selected rate source quotes ${cur} and no manual ${cur} rate is set. ` +
          `Select a source that quotes ${cur} (rates.sources) or set a manual rate (fiat.rates.${cur}).`,
      );
    }
  }
  if (patch.refund_policy !== undefined) next.refund_policy = patch.refund_policy;
  if (patch.electrum) {
    next.electrum = { ...next.electrum, ...patch.electrum };
    // Checked here so a typo answers 400 with the reason instead of a watcher that never connects.
    for (const url of next.electrum.servers) {
      try {
        parseServerUrl(url);
      } catch (e) {
        throw new SatdeskError('invalid_request', `electrum.servers: ${(e as Error).message}`);
      }
    }
    if (next.electrum.proxy) {
      try {
        parseProxyUrl(next.electrum.proxy);
      } catch (e) {
        throw new SatdeskError('invalid_request', `electrum.proxy: ${(e as Error).message}`);
      }
    }
  }
  if (patch.xmpp) {
    next.xmpp = { ...next.xmpp, ...patch.xmpp };
    checkXmppAccount(next.xmpp);
  }
  if (patch.delivery_log_days !== undefined) next.delivery_log_days = patch.delivery_log_days;
  if (patch.events_days !== undefined) next.events_days = patch.events_days;
  if (patch.api) next.api = { ...next.api, ...patch.api };
  if (patch.counter) next.counter = { ...next.counter, ...patch.counter, tips: { ...next.counter.tips, ...patch.counter.tips } };
  db.transaction(() => {
    for (const key of Object.keys(next) as Key[]) {
      if (key === 'network') continue;
      if (JSON.stringify(next[key]) !== JSON.stringify(current[key])) saveSetting(db, key, next[key]);
    }
  })();
  return next;
}

/** The API view: the XMPP password is write-only. */
export function publicSettings(s: StoredSettings): Settings {
  return {
    ...s,
    xmpp: { jid: s.xmpp.jid, service: s.xmpp.service, password_set: Boolean(s.xmpp.password), plaintext_loopback: s.xmpp.plaintext_loopback },
  };
}
