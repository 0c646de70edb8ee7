/** The callbacks part of the contract (docs/spec/notifications.md): agents and deliveries. */
import { z } from 'zod';
import { AgentFormatSchema, Cursor, CursorParam, DeliveryStateSchema, Empty, IdParam, ISO, Limit, type MethodDef } from './contract-common.ts';

const AgentName = z.string().min(1).max(64);
const AgentUrl = z.string().max(2000).regex(/^https?:\/\/[^\s]+$/i, 'url must be an http:// or https:// URL');
const AgentToken = z.string().min(8).max(256);
const Thresholds = z
  .array(z.number().int().min(0).max(1_000_000))
  .min(1)
  .max(100)
  .refine((a) => new Set(a).size === a.length, 'thresholds must be distinct');
const Jid = z.string().min(3).max(300).regex(/^[^@\s/]+@[^@\s/]+(\/\S*)?$/, 'jid must look like user@domain');
const AgentRetry = z.strictObject({ delays_s: z.array(z.number().int().min(0).max(86_400)).max(100) });
const AgentAddresses = z.array(z.string().min(1).max(200)).max(100_000).nullable();

export const AgentSchema = z.object({
  id: z.string(),
  name: z.string(),
  url: z.string().nullable(),
  token: z.string().optional(),
  thresholds: z.array(z.number().int()),
  format: AgentFormatSchema,
  jid: z.string().nullable().optional(),
  retry: z.object({ delays_s: z.array(z.number().int()) }),
  timeout_s: z.number().int(),
  enabled: z.boolean(),
  addresses: z.array(z.string()).nullable(),
  created_at: ISO,
  enabled_at: ISO,
});
export type Agent = z.infer<typeof AgentSchema>;

export const CreateAgentSchema = z.strictObject({
  name: AgentName,
  url: AgentUrl.optional(),
  token: AgentToken.optional(),
  thresholds: Thresholds.optional(),
  format: AgentFormatSchema.default('bitcoinmonitor'),
  jid: Jid.optional(),
  retry: AgentRetry.optional(),
  timeout_s: z.number().int().min(1).max(300).optional(),
  enabled: z.boolean().optional(),
  addresses: AgentAddresses.optional(),
});
export type CreateAgentRequest = z.output<typeof CreateAgentSchema>;

export const PatchAgentSchema = z.strictObject({
  name: AgentName.optional(),
  url: AgentUrl.optional(),
  thresholds: Thresholds.optional(),
  format: AgentFormatSchema.optional(),
  jid: Jid.optional(),
  retry: AgentRetry.optional(),
  timeout_s: z.number().int().min(1).max(300).optional(),
  enabled: z.boolean().optional(),
  addresses: AgentAddresses.optional(),
});
export type PatchAgentRequest = z.output<typeof PatchAgentSchema>;

export const AttemptSchema = z.object({
  at: ISO,
  duration_ms: z.number().int(),
  http_status: z.number().int().nullable(),
  error: z.string().nullable(),
  response_excerpt: z.string().nullable(),
  /** The delivery's state once this attempt ended (RETRY, SUCCESS or FAILURE). */
  state: DeliveryStateSchema,
  /** The headers this attempt sent (the HMAC value withheld); null for XMPP and for attempts logged before. */
  request_headers: z.record(z.string(), z.string()).nullable(),
});

export const DeliverySchema = z.object({
  id: z.string(),
  /** Stable across every delivery and resend of one notification: the X-Satdesk-Notification header. */
  notification_id: z.string(),
  redelivery_of: z.string().nullable(),
  agent_id: z.string(),
  test: z.boolean(),
  txid: z.string().nullable(),
  address: z.string().nullable(),
  threshold: z.number().int().nullable(),
  event: z.string().nullable(),
  state: DeliveryStateSchema,
  created_at: ISO,
  next_attempt_at: ISO.nullable(),
  ended_at: ISO.nullable(),
  /** The body as sent by the last attempt (before any: as it will be sent), its md5 signature withheld. */
  request_body: z.string(),
  attempts: z.array(AttemptSchema),
});
export type Delivery = z.infer<typeof DeliverySchema>;

export const callbackMethods = {
  listAgents: { http: { method: 'GET', path: '/agents' }, response: z.object({ agents: z.array(AgentSchema) }) },
  createAgent: { http: { method: 'POST', path: '/agents', status: 201 }, body: CreateAgentSchema, response: AgentSchema },
  patchAgent: { http: { method: 'PATCH', path: '/agents/:id' }, params: IdParam, body: PatchAgentSchema, response: AgentSchema },
  deleteAgent: {
    http: { method: 'DELETE', path: '/agents/:id' },
    params: IdParam,
    response: z.object({ id: z.string(), deleted: z.literal(true) }),
  },
  rotateAgentToken: {
    http: { method: 'POST', path: '/agents/:id/rotate-token' },
    params: IdParam,
    body: z.strictObject({ token: AgentToken.optional() }).optional(),
    response: z.object({ token: z.string() }),
  },
  testAgent: { http: { method: 'POST', path: '/agents/:id/test' }, params: IdParam, body: Empty.optional(), response: DeliverySchema },
  listDeliveries: {
    http: { method: 'GET', path: '/deliveries' },
    query: z.strictObject({
      agent: z.string().max(100).optional(),
      state: DeliveryStateSchema.optional(),
      limit: Limit,
      cursor: CursorParam,
    }),
    response: z.object({ deliveries: z.array(DeliverySchema), next_cursor: Cursor }),
  },
  getDelivery: { http: { method: 'GET', path: '/deliveries/:id' }, params: IdParam, response: DeliverySchema },
  redeliver: {
    http: { method: 'POST', path: '/deliveries/:id/redeliver', status: 201 },
    params: IdParam,
    body: Empty.optional(),
    response: DeliverySchema,
  },
} satisfies Record<string, MethodDef>;
