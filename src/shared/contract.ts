/**
 * The one typed contract (docs/spec/api.md): every API method with its HTTP route and its request/response schemas.
 * The HTTP server, the Electron IPC handlers, the preload bridge and the renderer's client are all generated from
 * this table, so a route or a shape is written exactly once.
 *
 * Schemas check *shape* (types, unknown keys, lengths). Domain rules that need the network or the database
 * (amounts, addresses, keys) are checked by the service so that they answer with their specific error codes
 * (`invalid_amount`, `wrong_network`, ...), which a shape check cannot know.
 */
import type { z } from 'zod';
import { counterMethods, type Principal } from './contract-counter.ts';
import type { MethodDef } from './contract-common.ts';
import { systemMethods } from './contract-system.ts';
import { walletMethods } from './contract-wallet.ts';
import { invoiceMethods } from './contract-invoices.ts';
import { callbackMethods } from './contract-callbacks.ts';
import { booksMethods } from './contract-books.ts';

export * from './contract-common.ts';
export * from './contract-system.ts';
export * from './contract-wallet.ts';
export * from './contract-invoices.ts';
export * from './contract-callbacks.ts';
export * from './contract-books.ts';

/** Every method, by resource; each part is its own file (contract-*.ts). */
export const contract = {
  ...systemMethods,
  ...walletMethods,
  ...invoiceMethods,
  ...booksMethods,
  ...callbackMethods,
  ...counterMethods,
} satisfies Record<string, MethodDef>;
export type Contract = typeof contract;
export type MethodName = keyof Contract;

type InferOr<T, D> = T extends z.ZodType ? z.output<T> : D;
export type MethodInput<M extends MethodName> = {
  params: InferOr<Contract[M] extends { params: infer P } ? P : undefined, Record<string, never>>;
  query: InferOr<Contract[M] extends { query: infer Q } ? Q : undefined, Record<string, never>>;
  body: InferOr<Contract[M] extends { body: infer B } ? B : undefined, undefined>;
  headers: Record<string, string | undefined>;
  /** Who calls (the desktop app and in-process callers are the owner). */
  auth?: Principal;
};
export type MethodOutput<M extends MethodName> = z.output<Contract[M]['response']>;

export const API_PREFIX = '/api/v1';
