/** IPC channel names, derived from the contract: one `invoke` channel per method, one event channel. */
import type { MethodName } from './contract.ts';

export const IPC_PREFIX = 'satdesk:';
export const IPC_EVENT_CHANNEL = 'satdesk:event';
export const ipcChannel = (name: MethodName): string => `${IPC_PREFIX}${name}`;

/** What every IPC invoke answers: never a thrown error (Electron would flatten it to a string). */
export type IpcResult<T = unknown> = { ok: true; result: T } | { ok: false; error: { code: string; message: string } };
