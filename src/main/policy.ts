/**
 * The Electron shell's security decisions as pure functions (docs/security.md#the-desktop-app): which frame is the
 * app's own page (the IPC sender check), which permission a page may have, which URL may open in the system
 * browser, and how text becomes a native notification. No `electron` import: Node tests load this file as it is.
 */
import path from 'node:path';

export interface OwnPage {
  /** Absolute path of the packaged renderer's index.html. */
  indexFile: string;
  /** The dev server's origin (electron-vite dev), if any. */
  devOrigin?: string;
  /** The OS the paths are for (default: this process's). */
  platform?: NodeJS.Platform;
}

/**
 * True only for the app's own page: the packaged `index.html` (any query or hash), or the dev server's origin.
 * On Windows `file:///C:/…/index.html` is accepted (case-insensitively, as NTFS compares); everywhere a `file://`
 * URL naming a host (`file://server/share/…`, a UNC path), an encoded separator (`%2f`, `%5c`) or a NUL, and any
 * path that normalizes elsewhere (`..`) is refused.
 */
export function isOwnPage(url: string | null | undefined, own: OwnPage): boolean {
  if (!url) return false;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (own.devOrigin && (u.protocol === 'http:' || u.protocol === 'https:')) {
    let dev: URL;
    try {
      dev = new URL(own.devOrigin);
    } catch {
      return false;
    }
    return u.origin === dev.origin && !u.username && !u.password;
  }
  if (u.protocol !== 'file:' || u.host !== '' || u.username || u.password) return false;
  if (/%(2f|5c|00)/i.test(u.pathname)) return false;
  let decoded: string;
  try {
    decoded = decodeURIComponent(u.pathname);
  } catch {
    return false;
  }
  if (decoded.includes('\0')) return false;
  const win = (own.platform ?? process.platform) === 'win32';
  if (win) {
    // `/C:/Users/…` → `C:\Users\…`
    const m = /^\/([A-Za-z]:\/.*)$/.exec(decoded);
    if (!m) return false;
    const p = path.win32.normalize(m[1]!);
    return p.toLowerCase() === path.win32.normalize(own.indexFile).toLowerCase();
  }
  if (decoded.includes('\\')) return false;
  return path.posix.normalize(decoded) === path.posix.normalize(own.indexFile) && decoded === path.posix.normalize(decoded);
}

/**
 * Permission requests and checks: everything is denied but copying to the clipboard (the console's copy buttons),
 * and that only for the app's own page. No camera, microphone, location, notifications from pages, MIDI, HID,
 * serial, USB, screen capture, pointer lock, fullscreen requests from content, or opening external protocols.
 */
export const ALLOWED_PERMISSIONS: ReadonlySet<string> = new Set(['clipboard-sanitized-write']);

export function permissionAllowed(permission: string, requestingUrl: string | null | undefined, own: OwnPage): boolean {
  return ALLOWED_PERMISSIONS.has(permission) && isOwnPage(requestingUrl, own);
}

/** Only plain http(s) links go to the system browser; no `file:`, `javascript:`, custom schemes or credentials. */
export function externalUrl(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.username || u.password || !u.hostname) return null;
  return u.toString();
}

/**
 * Native notification text: Linux notification servers read the body as markup (`<b>`, `<a href>`, `<img>`), so a
 * label a shop sent could draw or link anything there. Control and bidi characters go everywhere, markup is escaped
 * on Linux (elsewhere the text is shown as is), length is bounded.
 */
export function notificationText(s: string, platform: NodeJS.Platform = process.platform, max = 200): string {
  const clean = s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, ' ').trim();
  const cut = clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
  if (platform !== 'linux') return cut;
  return cut.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** What the error window says when the app cannot start (the data dir's message is already written for people). */
export function bootFailureText(e: unknown): { title: string; body: string } {
  const message = e instanceof Error ? e.message : String(e);
  return {
    title: 'Satdesk could not start',
    body: `${message}\n\nNothing was changed. Fix the cause and start Satdesk again; your data is where it was.`,
  };
}
