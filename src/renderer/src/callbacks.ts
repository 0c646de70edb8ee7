/**
 * The callbacks API as the console uses it (docs/spec/notifications.md, docs/spec/api.md). The methods live in the shared contract once the
 * callbacks routes land; until then `callIfExists` answers null and the screens say so.
 */
import { callIfExists, hasMethod } from './api.ts';

export interface Attempt {
  at: string;
  duration_ms: number | null;
  http_status: number | null;
  error: string | null;
  response_excerpt: string | null;
  /** The headers this attempt sent, as stored (the signature's HMAC withheld). */
  request_headers?: Record<string, string> | null;
}

export interface Delivery {
  id: string;
  notification_id: string | number | null;
  redelivery_of: string | null;
  agent_id: string;
  txid: string | null;
  address: string | null;
  threshold: number | null;
  event: string | null;
  state: 'PENDING' | 'RETRY' | 'SUCCESS' | 'FAILURE';
  next_attempt_at: string | null;
  request_body: string | unknown;
  attempts: Attempt[];
  invoice_id?: string | null;
}

export interface Agent {
  id: string;
  name: string;
  url: string;
  token?: string;
  thresholds: number[];
  format: 'bitcoinmonitor' | 'events' | 'xmpp';
  jid?: string | null;
  retry: { delays_s: number[] };
  timeout_s: number;
  enabled: boolean;
  addresses: string[] | null;
}

export const M = {
  listDeliveries: ['listDeliveries'],
  getDelivery: ['getDelivery'],
  redeliver: ['redeliver', 'redeliverDelivery', 'resendDelivery'],
  listAgents: ['listAgents'],
  createAgent: ['createAgent'],
  patchAgent: ['patchAgent', 'updateAgent'],
  deleteAgent: ['deleteAgent'],
  rotateToken: ['rotateAgentToken', 'rotateToken'],
  testAgent: ['testAgent'],
};

export const callbacksAvailable = (): boolean => hasMethod(...M.listDeliveries);
export const agentsAvailable = (): boolean => hasMethod(...M.listAgents);

export async function listDeliveries(query: Record<string, string | number | undefined>): Promise<{ deliveries: Delivery[]; next_cursor: string | null } | null> {
  return callIfExists(M.listDeliveries, { query });
}

export async function listAgents(): Promise<Agent[] | null> {
  const r = await callIfExists<{ agents: Agent[] } | Agent[]>(M.listAgents);
  if (r === null) return null;
  return Array.isArray(r) ? r : r.agents;
}

export const redeliver = (id: string): Promise<Delivery | null> => callIfExists(M.redeliver, { params: { id } });
export const testAgent = (id: string): Promise<Delivery | null> => callIfExists(M.testAgent, { params: { id } });
export const rotateToken = (id: string): Promise<{ token: string } | null> => callIfExists(M.rotateToken, { params: { id } });
export const createAgent = (body: unknown): Promise<Agent | null> => callIfExists(M.createAgent, { body });
export const patchAgent = (id: string, body: unknown): Promise<Agent | null> => callIfExists(M.patchAgent, { params: { id }, body });
export const deleteAgent = (id: string): Promise<unknown> => callIfExists(M.deleteAgent, { params: { id } });

export function requestBodyText(d: Delivery): string {
  if (typeof d.request_body === 'string') {
    try {
      return JSON.stringify(JSON.parse(d.request_body), null, 2);
    } catch {
      return d.request_body;
    }
  }
  return JSON.stringify(d.request_body, null, 2);
}
