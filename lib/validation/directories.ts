import { z } from 'zod';
import { listQuerySchema, nameSchema } from './common';

export const DIRECTORY_PROVIDERS = ['okta', 'entra', 'onelogin', 'jumpcloud', 'generic'] as const;
export type DirectoryProvider = (typeof DIRECTORY_PROVIDERS)[number];

/** The typed outcome of a SCIM request in a directory's request log. */
export const SCIM_OUTCOMES = [
  'created',
  'updated',
  'unchanged',
  'deleted',
  'read',
  'unauthorized',
  'invalid',
  'not_found',
  'conflict',
  'too_large',
  'error',
] as const;
export type ScimOutcome = (typeof SCIM_OUTCOMES)[number];

export const providerSchema = z.enum(DIRECTORY_PROVIDERS, { error: `must be one of ${DIRECTORY_PROVIDERS.join(', ')}` });

export const directoryCreateSchema = z.object({
  name: nameSchema,
  provider: providerSchema.optional(),
});
export type DirectoryCreate = z.infer<typeof directoryCreateSchema>;

export const directoryParams = z.object({ tenantId: z.string().min(1).max(64), directoryId: z.string().min(1).max(64) });

export const directorySchema = z.object({
  id: z.string(),
  tenantId: z.string(),
  name: z.string(),
  provider: providerSchema,
  scimUrl: z.string(),
  /** false once the token was revoked (until it is rotated) */
  tokenActive: z.boolean(),
  tokenCreatedAt: z.string().nullable(),
  userCount: z.number().int(),
  groupCount: z.number().int(),
  createdAt: z.string(),
});
export type DirectoryView = z.infer<typeof directorySchema>;

export const directoryCreatedSchema = directorySchema.extend({
  bearerToken: z.string().meta({ description: 'Shown this once; only its hash is kept.' }),
});

export const tokenSchema = z.object({ id: z.string(), bearerToken: z.string() });

/** `?status=` of the request log: one code (`401`) or a class (`4xx`). */
export const statusFilterSchema = z
  .string()
  .regex(/^[1-5](\d\d|xx)$/, 'must be a status code such as 401 or a class such as 4xx')
  .optional();

export const requestLogQuerySchema = listQuerySchema.extend({
  status: statusFilterSchema,
  outcome: z.enum(SCIM_OUTCOMES).optional(),
});

export const scimRequestSchema = z.object({
  id: z.string(),
  occurredAt: z.string(),
  method: z.string(),
  path: z.string(),
  status: z.number().int(),
  outcome: z.enum(SCIM_OUTCOMES),
  summary: z.string().nullable(),
  ip: z.string().nullable(),
  durationMs: z.number().int(),
});
export type ScimRequestView = z.infer<typeof scimRequestSchema>;

export const scimUserViewSchema = z.object({
  id: z.string(),
  directoryId: z.string(),
  userName: z.string(),
  externalId: z.string().nullable(),
  active: z.boolean(),
  email: z.string().nullable(),
  displayName: z.string().nullable(),
  portalUserId: z.string().nullable(),
  groups: z.array(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ScimUserView = z.infer<typeof scimUserViewSchema>;

export const scimGroupViewSchema = z.object({
  id: z.string(),
  directoryId: z.string(),
  displayName: z.string(),
  externalId: z.string().nullable(),
  memberCount: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ScimGroupView = z.infer<typeof scimGroupViewSchema>;
