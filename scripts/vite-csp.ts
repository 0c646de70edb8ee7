/** A vite plugin that writes the console's CSP (src/shared/csp.ts) into index.html's meta tag at build time. */
import { CONSOLE_CSP_META } from '../src/shared/csp.ts';

export function cspMeta(): { name: string; transformIndexHtml(html: string): string } {
  return {
    name: 'satdesk-csp-meta',
    transformIndexHtml: (html) => {
      if (!html.includes('%SATDESK_CSP%')) throw new Error('index.html has no %SATDESK_CSP% placeholder for the CSP meta tag');
      return html.replace('%SATDESK_CSP%', CONSOLE_CSP_META);
    },
  };
}
