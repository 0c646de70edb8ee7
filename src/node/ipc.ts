/**
 * The Electron IPC handlers, generated from the contract, as plain functions so they are tested in Node without
 * Electron (src/main only registers them). Each handler checks the sender first (only the app's own windows, as
 * decided by src/main/policy.ts), then validates the payload with the contract's schemas, exactly as the HTTP
 * server does.
 */
import { contract, type MethodName } from '../shared/contract.ts';
import { ipcChannel, type IpcResult } from '../shared/ipc.ts';
import { isSatdeskError } from '../core/errors.ts';
import { dispatch, type RawCall } from './dispatch.ts';
import type { Satdesk } from './service.ts';

export interface IpcSender {
  /** URL of the frame that sent the message (event.senderFrame.url). */
  frameUrl: string | null;
}

export type IpcHandler = (sender: IpcSender, payload: unknown) => Promise<IpcResult>;

function isRawCall(v: unknown): v is RawCall {
  if (v === undefined) return true;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  return Object.keys(v).every((k) => ['params', 'query', 'body', 'headers'].includes(k));
}

export function createIpcHandlers(service: Satdesk, isTrusted: (url: string | null) => boolean): Map<string, IpcHandler> {
  const handlers = new Map<string, IpcHandler>();
  for (const name of Object.keys(contract) as MethodName[]) {
    handlers.set(ipcChannel(name), async (sender, payload) => {
      if (!isTrusted(sender.frameUrl)) {
        return { ok: false, error: { code: 'unauthorized', message: 'IPC from an untrusted frame was refused.' } };
      }
      if (!isRawCall(payload)) {
        return { ok: false, error: { code: 'invalid_request', message: 'An IPC payload is {params?, query?, body?, headers?}.' } };
      }
      try {
        return { ok: true, result: await dispatch(service, name, payload ?? {}) };
      } catch (e) {
        if (isSatdeskError(e)) return { ok: false, error: { code: e.code, message: e.message } };
        return { ok: false, error: { code: 'internal', message: 'Internal error; see the Satdesk log.' } };
      }
    });
  }
  return handlers;
}
