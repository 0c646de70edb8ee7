/**
 * What every part of the contract shares: the method shape, list paging, ids, and the word lists of
 * src/core/vocabulary.ts as zod enums (one definition: docs/decisions/0014-one-vocabulary.md).
 */
import { z } from 'zod';
import {
  ADDRESS_ORIGINS,
  ADDRESS_STATES,
  AGENT_FORMATS,
  DELIVERY_STATES,
  INVOICE_FLAGS,
  INVOICE_STATUSES,
  IP_FAMILIES,
  MARK_ACTIONS,
  NETWORKS,
  ROLES,
  WALLET_KINDS,
  type Role,
} from '../core/vocabulary.ts';
import { ZERO_CONF_RISKS } from '../core/zeroconf.ts';

export const ISO = z.string();
export const Cursor = z.string().max(200).nullable();
export const CursorParam = z.string().max(200).optional();
export const Limit = z.coerce.number().int().min(1).max(500).default(50);
export const IdParam = z.strictObject({ id: z.string().min(1).max(100) });
export const Empty = z.strictObject({});

export const NetworkSchema = z.enum(NETWORKS);
export const InvoiceStatusSchema = z.enum(INVOICE_STATUSES);
export const InvoiceFlagSchema = z.enum(INVOICE_FLAGS);
export const MarkActionSchema = z.enum(MARK_ACTIONS);
export const AddressStateSchema = z.enum(ADDRESS_STATES);
export const AddressOriginSchema = z.enum(ADDRESS_ORIGINS);
export const WalletKindSchema = z.enum(WALLET_KINDS);
export const AgentFormatSchema = z.enum(AGENT_FORMATS);
export const DeliveryStateSchema = z.enum(DELIVERY_STATES);
export const IpFamilySchema = z.enum(IP_FAMILIES);
export const RoleSchema = z.enum(ROLES);
/** 0-conf opt-in (src/core/zeroconf.ts): 'refuse' (default), 'accept', 'accept_unconfirmed_parents'. */
export const ZeroConfRiskSchema = z.enum(ZERO_CONF_RISKS);

/** One API method. `path` params are written `:name`. */
export interface MethodDef {
  http: { method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'; path: string; status?: number; auth?: boolean };
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** Response schema: used for types, docs and tests; `text/csv` methods return a string. */
  response: z.ZodType;
  contentType?: 'application/json' | 'text/csv';
  /** Headers the method reads (lower-case). */
  headers?: string[];
  /** Roles that may call it (docs/counter.md); absent = the owner only. */
  roles?: readonly Role[];
}

