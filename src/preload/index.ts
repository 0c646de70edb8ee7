/**
 * Preload: exposes exactly the contract's methods and one event subscription to the renderer; the renderer never
 * sees ipcRenderer or the IPC event object.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { contract, type MethodName } from '../shared/contract.ts';
import { IPC_EVENT_CHANNEL, ipcChannel } from '../shared/ipc.ts';

const methods = Object.fromEntries(
  (Object.keys(contract) as MethodName[]).map((name) => [name, (payload?: unknown) => ipcRenderer.invoke(ipcChannel(name), payload)]),
);

contextBridge.exposeInMainWorld('satdesk', {
  ...methods,
  onEvent(listener: (event: unknown) => void): () => void {
    const wrapped = (_e: unknown, data: unknown): void => listener(data);
    ipcRenderer.on(IPC_EVENT_CHANNEL, wrapped);
    return () => ipcRenderer.off(IPC_EVENT_CHANNEL, wrapped);
  },
});
