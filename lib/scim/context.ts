import type { MappingMeter } from '../provisioning/mapping';
import type { AuditInput } from '../audit/record';
import type { Ctx } from '../audit/types';
import type { Tx } from '../db/client';
import type { Directory, ScimOutcome } from '../db/schema';
import type { Rule } from '../validation/role-mappings';
import { SCIMMY, ScimError } from './scimmy';

export type ScimTenant = { id: string; roleRules: Rule[]; defaultRole: string | null };

/**
 * Everything one SCIM request works with, passed explicitly down every call (never kept on a
 * module or a library class): the open transaction, the authenticated directory and its tenant,
 * the SCIM base URL, and what the request changed (audit events written at the end of the
 * transaction, a summary for the request log).
 */
export type ScimContext = {
  tx: Tx;
  directory: Directory;
  tenant: ScimTenant;
  /** `{PUBLIC_URL}/api/scim/v2/{directoryId}` */
  base: string;
  audit: Ctx;
  events: AuditInput[];
  summary: string[];
  outcome: ScimOutcome;
  /** The parsed JSON body of a POST/PUT/PATCH. */
  body?: unknown;
  /** What this request's role-mapping evaluations cost so far (lib/scim/portal.ts). */
  mappingMeter?: MappingMeter;
  /** A user whose roles the rules cannot work out within the budget keeps the roles they have (an admin deleting a directory), instead of the request being refused. */
  keepRolesOverBudget?: boolean;
};

/** A SCIM error (RFC 7644 §3.12) to answer with. */
export const scimError = (status: number, scimType: string | null, detail: string) => new ScimError(status, scimType as string, detail);

export const notFound = (what: 'User' | 'Group', id: string) => scimError(404, null, `${what} ${id} not found`);

/**
 * Runs a SCIMMY constructor; its TypeErrors (schema violations: a missing userName, a number
 * where a string belongs) become 400 invalidValue. Anything else is passed on unchanged.
 */
export function coerce<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof SCIMMY.Types.Error) throw e;
    if (e instanceof TypeError) throw scimError(400, 'invalidValue', e.message);
    throw e;
  }
}

/** A plain JSON copy of a SCIMMY schema instance (its objects are proxies with getters). */
export const plain = <T = Record<string, unknown>>(v: unknown): T => JSON.parse(JSON.stringify(v));
