import { z } from 'zod';
import { limitSchema } from '../validation/common';
import { userSchema } from '../validation/users';

/**
 * Inputs of the access review (API, console filters, CSV export) and of the inactivity policy.
 * Pure zod: shared by the REST routes, the server actions and the client forms.
 */

export const REVIEW_FILTERS = ['never_signed_in', 'inactive'] as const;
export type ReviewFilterKind = (typeof REVIEW_FILTERS)[number];

/** A number of days in JSON: a whole number from 1 to 3650 (ten years). */
export const daysNumberSchema = z
  .number({ error: 'must be a whole number of days (1–3650)' })
  .int('must be a whole number of days')
  .min(1, 'must be at least 1 day')
  .max(3650, 'must be at most 3650 days');

/** The same in a query string or form field. */
export const daysSchema = z.coerce
  .number({ error: 'must be a number of days' })
  .int('must be a whole number of days')
  .min(1, 'must be at least 1 day')
  .max(3650, 'must be at most 3650 days');

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

export const reviewFilterShape = {
  filter: z.preprocess(blankToUndefined, z.enum(REVIEW_FILTERS, { error: 'must be never_signed_in or inactive' }).optional()),
  inactiveDays: z.preprocess(blankToUndefined, daysSchema.optional()),
  role: z.preprocess(blankToUndefined, z.string({ error: 'must be a string' }).trim().max(64, 'must be at most 64 characters').optional()),
  status: z.preprocess(blankToUndefined, z.enum(['active', 'suspended'], { error: 'must be active or suspended' }).optional()),
  source: z.preprocess(blankToUndefined, z.enum(['jit', 'scim', 'self_registration'], { error: 'must be jit, scim or self_registration' }).optional()),
};

const consistent = (v: { filter?: ReviewFilterKind; inactiveDays?: number }, ctx: z.RefinementCtx) => {
  if (v.inactiveDays !== undefined && v.filter === 'never_signed_in') {
    ctx.addIssue({ code: 'custom', path: ['inactiveDays'], message: 'applies to filter=inactive only' });
  }
};

export const reviewFilterSchema = z.object(reviewFilterShape).superRefine(consistent);
export type ReviewFilterInput = z.output<typeof reviewFilterSchema>;

export const accessReviewQuerySchema = z
  .object({
    ...reviewFilterShape,
    limit: limitSchema,
    cursor: z.string().max(300).optional(),
  })
  .superRefine(consistent);
export type AccessReviewQuery = z.output<typeof accessReviewQuerySchema>;

export const accessReviewExportQuerySchema = z
  .object({ ...reviewFilterShape, format: z.enum(['csv'], { error: 'must be csv' }).default('csv') })
  .superRefine(consistent);

export const reviewItemSchema = userSchema.extend({
  /** Whole days since the last sign-in, or since creation for a user who never signed in. */
  daysInactive: z.number().int(),
});
export type ReviewItem = z.output<typeof reviewItemSchema>;

export const bulkSuspendSchema = z.object({
  userIds: z
    .array(z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(64, 'must be at most 64 characters'), { error: 'must be an array of user ids' })
    .min(1, 'name at least one user')
    .max(500, 'at most 500 users per request'),
});

export const bulkSuspendResultSchema = z.object({
  data: z.array(userSchema),
  /** How many of them changed (a user already suspended by an admin is left as is). */
  suspended: z.number().int(),
});

/** `{ inactivityDays }`: suspend users not seen through SSO for that many days; null turns it off. */
export const inactivityPolicySchema = z.object({
  inactivityDays: z
    .number({ error: 'must be a whole number of days (1–3650), or null to turn the policy off' })
    .int('must be a whole number of days')
    .min(1, 'must be at least 1 day')
    .max(3650, 'must be at most 3650 days')
    .nullable(),
});
export type InactivityPolicy = z.output<typeof inactivityPolicySchema>;
