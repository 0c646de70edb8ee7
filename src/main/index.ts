/**
 * Electron main process — deliberately thin: it starts the same core as `satdesk serve` (src/node/app.ts) in this
 * process, registers one IPC handler per contract method (generated in src/node/ipc.ts), and manages windows.
 *
 * Why the core runs here and not in a utility process: the core is I/O-bound (SQLite writes of a few rows per
 * payment, a handful of sockets), its synchronous SQLite calls take well under a millisecond on the hot paths
 * (see bench/results.json, store scenario), and keeping it in main avoids a second IPC hop and a second copy of
 * the native module's lifecycle. The renderer stays responsive because it never shares a thread with it.
 */
import { app, BrowserWindow, dialog, ipcMain, Notification, shell, session } from 'electron';
import path from 'node:path';
import { startApp, type App } from '../node/app.ts';
import { createIpcHandlers } from '../node/ipc.ts';
import { bootFailureText, externalUrl, isOwnPage, notificationText, permissionAllowed, type OwnPage } from './policy.ts';
import { alertFor } from '../node/alerts.ts';
import { IPC_EVENT_CHANNEL } from '../shared/ipc.ts';
import { CONSOLE_CSP } from '../shared/csp.ts';
import { isNetworkName } from '../core/network.ts';
import { useExportWorker } from '../node/books/export-thread.ts';


// electron.vite.config.ts builds the exports' worker beside this file.
useExportWorker(new URL('./books-export-worker.js', import.meta.url));

let core: App | null = null;
const windows = new Set<BrowserWindow>();

const ownPage: OwnPage = {
  indexFile: path.resolve(import.meta.dirname, '../renderer/index.html'),
  devOrigin: process.env.ELECTRON_RENDERER_URL ? new URL(process.env.ELECTRON_RENDERER_URL).origin : undefined,
};

function safelyOpenExternal(url: string): void {
  const safe = externalUrl(url);
  if (safe) void shell.openExternal(safe);
}

function createWindow(hash = ''): BrowserWindow {
  const win = new BrowserWindow({
    width: 1200,
    height: 800,
    show: false,
    title: 'Satdesk',
    webPreferences: {
      preload: path.join(import.meta.dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });
  windows.add(win);
  win.on('closed', () => windows.delete(win));
  win.once('ready-to-show', () => win.show());
  win.webContents.setWindowOpenHandler(({ url }) => {
    // The console's "Customer display" opens its own page at #/customer: a second app window (same preload,
    // same sender checks), reused if already open. Anything else goes to the system browser (http/s only).
    const own = url.split('#')[0] === win.webContents.getURL().split('#')[0];
    // #/customer/<till>: one window per till (docs/counter.md), reused if already open.
    const customer = own ? /#(\/customer(?:\/[A-Za-z0-9_-]{1,100})?)$/.exec(url)?.[1] : undefined;
    if (customer) {
      const existing = [...windows].find((w) => w.webContents.getURL().endsWith(`#${customer}`));
      if (existing) existing.focus();
      else createWindow(customer);
    } else safelyOpenExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (e, url) => {
    if (url !== win.webContents.getURL()) {
      e.preventDefault();
      safelyOpenExternal(url);
    }
  });
  const dev = process.env.ELECTRON_RENDERER_URL;
  if (dev) void win.loadURL(dev + (hash ? `#${hash}` : ''));
  else void win.loadFile(path.join(import.meta.dirname, '../renderer/index.html'), hash ? { hash } : undefined);
  return win;
}

async function boot(): Promise<void> {
  // Decided before any page exists: deny every permission but clipboard writes from the app's own page.
  session.defaultSession.setPermissionRequestHandler((wc, permission, cb, details) =>
    cb(permissionAllowed(permission, details.requestingUrl ?? wc?.getURL(), ownPage)),
  );
  session.defaultSession.setPermissionCheckHandler((_wc, permission, requestingOrigin, details) =>
    permissionAllowed(permission, details.requestingUrl ?? requestingOrigin, ownPage),
  );
  const network = process.env.SATDESK_NETWORK ?? 'mainnet';
  core = await startApp({
    dataDir: process.env.SATDESK_DATA_DIR ?? app.getPath('userData'),
    network: isNetworkName(network) ? network : 'mainnet',
  });
  for (const [channel, handle] of createIpcHandlers(core.service, (url) => isOwnPage(url, ownPage))) {
    ipcMain.handle(channel, (event, payload: unknown) => handle({ frameUrl: event.senderFrame?.url ?? null }, payload));
  }
  core.service.bus.subscribe((e) => {
    for (const w of windows) w.webContents.send(IPC_EVENT_CHANNEL, { id: e.id, type: e.type, ...e.data });
    const alert = alertFor(e);
    if (alert && Notification.isSupported()) new Notification({ title: notificationText(alert.title), body: notificationText(alert.body) }).show();
  });
  session.defaultSession.webRequest.onHeadersReceived((details, cb) => {
    cb({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONSOLE_CSP] } });
  });
  createWindow();
}

/** A start that failed leaves no windowless process behind: say why in an error window, then exit. */
function bootFailed(e: unknown): void {
  console.error(e);
  const { title, body } = bootFailureText(e);
  dialog.showErrorBox(title, body);
  const c = core;
  core = null;
  void (c ? c.close() : Promise.resolve()).finally(() => app.exit(1));
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    const [w] = windows;
    if (w) {
      if (w.isMinimized()) w.restore();
      w.focus();
    }
  });
  app.whenReady().then(boot).catch(bootFailed);
  app.on('window-all-closed', () => app.quit());
  app.on('before-quit', (e) => {
    if (core) {
      e.preventDefault();
      const c = core;
      core = null;
      void c.close().finally(() => app.quit());
    }
  });
}
