/**
 * The generated tables of docs/spec/ (between `<!-- generated:NAME … -->` and `<!-- end generated -->`), written from
 * the vocabulary in src/core and the contract in src/shared. `npm run docs` rewrites them;
 * test/unit/vocabulary.test.ts fails when a page is out of date.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  BOOK_STATE_MEANING,
  DELIVERY_STATE_MEANING,
  EVENT_TYPE_INFO,
  EVENT_TYPES,
  INVOICE_FLAG_MEANING,
  INVOICE_STATUS_MEANING,
} from '../src/core/vocabulary.ts';
import { API_PREFIX, contract, type MethodDef } from '../src/shared/contract.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

const meanings = (head: string, m: Record<string, string>): string =>
  table([head, 'meaning'], Object.entries(m).map(([k, v]) => [`\`${k}\``, v]));

export const GENERATED: Record<string, Record<string, () => string>> = {
  'docs/spec/invoices.md': {
    'invoice-statuses': () => meanings('status', INVOICE_STATUS_MEANING),
    'invoice-flags': () => meanings('flag', INVOICE_FLAG_MEANING),
  },
  'docs/spec/notifications.md': {
    'delivery-states': () => meanings('state', DELIVERY_STATE_MEANING),
    'event-types': () =>
      table(
        ['type', 'callback', 'payload', 'meaning'],
        EVENT_TYPES.map((t) => {
          const i = EVENT_TYPE_INFO[t];
          return [`\`${t}\``, i.callback ? 'yes' : '—', i.payload, i.meaning];
        }),
      ),
  },
  'docs/books.md': {
    'book-states': () => meanings('state', BOOK_STATE_MEANING),
  },
  'docs/spec/api.md': {
    routes: () =>
      table(
        ['method', 'route', 'answers', 'roles', 'contract method'],
        (Object.entries(contract) as [string, MethodDef][]).map(([name, def]) => [
          def.http.method,
          `\`${API_PREFIX}${def.http.path.replace(/:(\w+)/g, '{$1}')}\``,
          `${def.http.status ?? 200}${def.contentType === 'text/csv' ? ' text/csv' : ''}`,
          def.http.auth === false ? 'anyone (no token)' : (def.roles ?? ['owner']).join(', '),
          `\`${name}\``,
        ]),
      ),
  },
};

const BLOCK = /(<!-- generated:([\w-]+)[^>]*-->\n)([\s\S]*?)(<!-- end generated -->)/g;

/** The page with its generated blocks rewritten; throws on a block nobody generates. */
export function renderPage(file: string, text: string): string {
  const gens = GENERATED[file] ?? {};
  return text.replace(BLOCK, (_all, open: string, name: string, _body: string, close: string) => {
    const gen = gens[name];
    if (!gen) throw new Error(`${file}: no generator for the block "${name}"`);
    return `${open}${gen()}\n${close}`;
  });
}

export function readPage(file: string): string {
  return fs.readFileSync(path.join(ROOT, file), 'utf8');
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  for (const file of Object.keys(GENERATED)) {
    const before = readPage(file);
    const after = renderPage(file, before);
    if (after !== before) {
      fs.writeFileSync(path.join(ROOT, file), after);
      console.log(`docs: rewrote ${file}`);
    }
  }
}
