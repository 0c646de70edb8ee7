/**
 * The console's Content-Security-Policy, defined once (docs/spec/api.md#desktop-ipc): `satdesk serve` sends it with
 * every page, the desktop app with every response, and the built index.html carries it as a meta tag.
 */
const DIRECTIVES: readonly (readonly [string, string])[] = [
  ['default-src', "'self'"],
  ['img-src', "'self' data:"],
  ['style-src', "'self' 'unsafe-inline'"],
  ['script-src', "'self'"],
  ['connect-src', "'self'"],
  ['media-src', "'self' data:"],
  ['object-src', "'none'"],
  ['base-uri', "'none'"],
  ['frame-ancestors', "'none'"],
];

const join = (ds: readonly (readonly [string, string])[]): string => ds.map(([k, v]) => `${k} ${v}`).join('; ');

/** The policy as a response header. */
export const CONSOLE_CSP = join(DIRECTIVES);

/** The same policy as a `<meta>` tag can carry it: browsers ignore frame-ancestors there (the header has it). */
export const CONSOLE_CSP_META = join(DIRECTIVES.filter(([k]) => k !== 'frame-ancestors'));
