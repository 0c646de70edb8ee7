/**
 * Which roles may call what (docs/counter.md): each contract method names its roles (absent = the owner only);
 * methods without authentication (health, pairing, a receipt link) are open to anyone who reaches the API. The
 * event stream carries every invoice, so only the owner reads it; a cashier follows today's sales through the
 * invoice methods and a display its till through `displayState`.
 */
import { SatdeskError } from '../../core/errors.ts';
import type { MethodDef } from '../../shared/contract.ts';
import type { Principal, Role } from '../../shared/contract-counter.ts';

const ROLE_WORD: Record<Role, string> = { owner: 'the owner', cashier: 'a cashier', display: 'a customer display' };

export function rolesOf(def: MethodDef): readonly Role[] {
  return def.roles ?? ['owner'];
}

export function assertRole(def: MethodDef, auth: Principal): void {
  if (def.http.auth === false) return;
  if (!rolesOf(def).includes(auth.role)) {
    throw new SatdeskError('forbidden', `This token belongs to ${ROLE_WORD[auth.role]}, who may not ${def.http.method} ${def.http.path}: ask the owner.`);
  }
}

/** Roles that may read the event stream (it carries every invoice and delivery). */
export const EVENT_STREAM_ROLES: readonly Role[] = ['owner'];
