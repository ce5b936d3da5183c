import { z } from 'zod';
import { TENANT_SCOPES } from '../auth/permissions';
import { ROLE_NAME, ROLE_NAME_MESSAGE } from './tenants';

const MAX_ROLES_LISTED = 200;

/** `PUT …/console-access`: which app roles open which console sections after SSO. */
export const consoleAccessInputSchema = z.strictObject(
  {
    roles: z
      .record(
        z.string().regex(ROLE_NAME, ROLE_NAME_MESSAGE),
        z
          .array(z.enum(TENANT_SCOPES, { error: `must be one of ${TENANT_SCOPES.join(', ')}` }), { error: 'must be an array of scopes' })
          .refine((l) => new Set(l).size === l.length, 'must not repeat a scope'),
        // A bad key is reported by the record itself: it says what a role name may be.
        { error: (issue) => (issue.code === 'invalid_key' ? ROLE_NAME_MESSAGE : 'must be an object: role → scopes') },
      )
      .refine((r) => Object.keys(r).length <= MAX_ROLES_LISTED, `must name at most ${MAX_ROLES_LISTED} roles`),
  },
  { error: 'must be an object' },
);
export type ConsoleAccessInput = z.infer<typeof consoleAccessInputSchema>;

export const consoleAccessSchema = z.object({ roles: z.record(z.string(), z.array(z.enum(TENANT_SCOPES))) });
