// Minimal typings for @xmpp/client 0.14 (it ships none): what the XMPP sender uses.
declare module '@xmpp/client' {
  import type { EventEmitter } from 'node:events';
  export interface XmppElement {
    is(name: string): boolean;
    attrs: Record<string, string>;
    getChildText(name: string): string | null;
    toString(): string;
  }
  export interface XmppClient extends EventEmitter {
    start(): Promise<unknown>;
    stop(): Promise<unknown>;
    send(el: XmppElement): Promise<unknown>;
    status: string;
    reconnect: { stop(): void; delay: number };
  }
  export interface XmppEntity {
    isSecure(): boolean;
  }
  export type Authenticate = (credentials: { username: string; password: string }, mechanism: string) => Promise<void>;
  export function client(opts: {
    service: string;
    domain?: string;
    username?: string;
    password?: string;
    resource?: string;
    /** Milliseconds to wait for each stream step (the library's default is 2000). */
    timeout?: number;
    credentials?: (authenticate: Authenticate, mechanisms: string[], fast: unknown, entity: XmppEntity) => Promise<void>;
  }): XmppClient;
  export function xml(name: string, attrs?: Record<string, string>, ...children: (XmppElement | string)[]): XmppElement;
}
