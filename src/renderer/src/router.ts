/** Hash routes (`#/invoices/<id>`): work from file:// in Electron and from `/` in the browser alike. */
import { useSyncExternalStore } from 'react';

export interface Route {
  screen: string;
  id: string | null;
}

function parse(): Route {
  const parts = location.hash.replace(/^#\/?/, '').split('/');
  return { screen: parts[0] || 'sell', id: parts[1] ? decodeURIComponent(parts[1]) : null };
}

let current = parse();
const listeners = new Set<() => void>();
window.addEventListener('hashchange', () => {
  current = parse();
  for (const l of listeners) l();
});

export function useRoute(): Route {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => current,
  );
}

export function navigate(screen: string, id?: string | null): void {
  location.hash = `#/${screen}${id ? `/${encodeURIComponent(id)}` : ''}`;
}
