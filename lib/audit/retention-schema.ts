import { z } from 'zod';

/** A tenant's audit retention: events older than `days` days are pruned (1–3650; default 365). */
export const auditRetentionSchema = z.object({
  days: z
    .number({ error: 'must be a whole number of days (1–3650)' })
    .int('must be a whole number of days')
    .min(1, 'must be at least 1 day')
    .max(3650, 'must be at most 3650 days'),
});
export type AuditRetention = z.output<typeof auditRetentionSchema>;

export const DEFAULT_AUDIT_RETENTION_DAYS = 365;
