import { z } from 'zod';
import { limitSchema } from './common';

export const userSchema = z.object({
  id: z.string(),
  tenantId: z.string(),
  email: z.string(),
  firstName: z.string().nullable(),
  lastName: z.string().nullable(),
  roles: z.array(z.string()),
  groups: z.array(z.string()),
  status: z.enum(['active', 'suspended']),
  source: z.enum(['jit', 'scim', 'self_registration']),
  lastLoginAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const userListQuerySchema = z.object({
  limit: limitSchema,
  cursor: z.string().max(200).optional(),
  email: z.string().max(320).optional(),
});

export const userParams = z.object({ tenantId: z.string().min(1).max(64), userId: z.string().min(1).max(64) });
