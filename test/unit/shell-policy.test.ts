/**
 * The Electron shell's decisions (src/main/policy.ts), tested as an attacker would probe them: frames that pose as
 * the app's page on each OS, permission requests, links, and notification text carrying markup.
 */
import { describe, expect, it } from 'vitest';
import { bootFailureText, externalUrl, isOwnPage, notificationText, permissionAllowed } from '../../src/main/policy.ts';

const linux = { indexFile: '/opt/Satdesk/resources/app.asar/out/renderer/index.html', platform: 'linux' as const };
const win = { indexFile: 'C:\\Program Files\\Satdesk\\resources\\app.asar\\out\\renderer\\index.html', platform: 'win32' as const };
const mac = { indexFile: '/Applications/Satdesk.app/Contents/Resources/app.asar/out/renderer/index.html', platform: 'darwin' as const };

describe('the IPC sender check accepts the app’s own page only', () => {
  it('on Linux and macOS: the packaged index.html with any hash or query', () => {
    expect(isOwnPage('file:///opt/Satdesk/resources/app.asar/out/renderer/index.html', linux)).toBe(true);
    expect(isOwnPage('file:///opt/Satdesk/resources/app.asar/out/renderer/index.html#/customer', linux)).toBe(true);
    expect(isOwnPage('file:///Applications/Satdesk.app/Contents/Resources/app.asar/out/renderer/index.html?x=1#/sell', mac)).toBe(true);
  });

  it('on Windows: file:///C:/… (any case, as NTFS compares), which the old check refused', () => {
    expect(isOwnPage('file:///C:/Program%20Files/Satdesk/resources/app.asar/out/renderer/index.html', win)).toBe(true);
    expect(isOwnPage('file:///c:/program%20files/satdesk/RESOURCES/app.asar/out/renderer/index.html#/customer', win)).toBe(true);
  });

  it.each([
    ['a file:// URL naming a host (UNC share)', 'file://evil-host/opt/Satdesk/resources/app.asar/out/renderer/index.html', linux],
    ['a Windows UNC share', 'file://attacker/share/Satdesk/resources/app.asar/out/renderer/index.html', win],
    ['an encoded slash', 'file:///opt/Satdesk/resources/app.asar/out/renderer%2findex.html', linux],
    ['an encoded slash, upper case', 'file:///opt/Satdesk/resources/app.asar/out%2Frenderer/index.html', linux],
    ['an encoded backslash on Windows', 'file:///C:/Program%20Files/Satdesk/resources/app.asar/out/renderer%5cindex.html', win],
    ['a NUL', 'file:///opt/Satdesk/resources/app.asar/out/renderer/index.html%00.png', linux],
    ['a dot-dot path out of the app', 'file:///opt/Satdesk/resources/app.asar/out/renderer/%2e%2e/%2e%2e/%2e%2e/%2e%2e/tmp/index.html', linux],
    ['a sibling folder sharing the prefix', 'file:///opt/Satdesk/resources/app.asar/out/renderer-evil/index.html', linux],
    ['another file in the renderer folder', 'file:///opt/Satdesk/resources/app.asar/out/renderer/assets/evil.html', linux],
    ['a downloaded page', 'file:///tmp/index.html', linux],
    ['a double slash', 'file:///opt/Satdesk/resources/app.asar/out/renderer//index.html', linux],
    ['the Linux path on Windows', 'file:///opt/Satdesk/resources/app.asar/out/renderer/index.html', win],
    ['another drive', 'file:///D:/Program%20Files/Satdesk/resources/app.asar/out/renderer/index.html', win],
    ['a web page', 'https://evil.example/index.html', linux],
    ['the dev origin when there is none', 'http://localhost:5173/', linux],
    ['not a URL', 'not a url', linux],
    ['nothing', null, linux],
  ] as const)('refuses %s', (_what, url, own) => {
    expect(isOwnPage(url, own)).toBe(false);
  });

  it('in development: the dev server origin exactly', () => {
    const dev = { ...linux, devOrigin: 'http://localhost:5173' };
    expect(isOwnPage('http://localhost:5173/#/sell', dev)).toBe(true);
    for (const u of ['http://localhost:5174/', 'http://localhost.evil:5173/', 'https://localhost:5173/', 'http://user:pw@localhost:5173/']) {
      expect(isOwnPage(u, dev)).toBe(false);
    }
  });
});

describe('permissions, links and notifications', () => {
  const page = 'file:///opt/Satdesk/resources/app.asar/out/renderer/index.html';
  it('denies every permission but clipboard writes, and those only to the app’s page', () => {
    expect(permissionAllowed('clipboard-sanitized-write', page, linux)).toBe(true);
    expect(permissionAllowed('clipboard-sanitized-write', 'https://evil.example/', linux)).toBe(false);
    for (const p of ['media', 'geolocation', 'notifications', 'midi', 'midiSysex', 'pointerLock', 'fullscreen', 'openExternal', 'clipboard-read', 'hid', 'serial', 'usb', 'display-capture', 'unknown']) {
      expect(permissionAllowed(p, page, linux)).toBe(false);
    }
  });

  it('opens only plain http(s) links in the system browser', () => {
    expect(externalUrl('https://docs.example/guide')).toBe('https://docs.example/guide');
    for (const u of ['javascript:alert(1)', 'file:///etc/passwd', 'smb://host/share', 'ms-msdt:/id', 'https://user:pw@evil.example/', 'not a url']) {
      expect(externalUrl(u)).toBeNull();
    }
  });

  it('notification text: markup escaped on Linux, control and bidi characters dropped everywhere, length bounded', () => {
    const label = '<b>PAID</b> <a href="https://evil.example">refund here</a> & more';
    expect(notificationText(label, 'linux')).toBe('&lt;b&gt;PAID&lt;/b&gt; &lt;a href=&quot;https://evil.example&quot;&gt;refund here&lt;/a&gt; &amp; more');
    expect(notificationText(label, 'darwin')).toBe(label);
    expect(notificationText('order\u202e1234\u0007\nnext', 'win32')).toBe('order 1234  next');
    expect(notificationText('x'.repeat(500), 'linux')).toHaveLength(200);
  });

  it('a failed start says why and that nothing changed', () => {
    const t = bootFailureText(new Error('Another Satdesk (the desktop app or a serve) is using the data dir /d.'));
    expect(t.title).toBe('Satdesk could not start');
    expect(t.body).toMatch(/^Another Satdesk [\s\S]*\n\nNothing was changed/);
  });
});
