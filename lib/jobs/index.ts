import { webhooksJob } from '../webhooks/worker';
import { certificatesJob, metadataRefreshJob } from '../sso/connections/lifecycle-jobs';
import { inactivityJob } from '../access-review/jobs';
import { auditRetentionJob } from '../audit/retention';
import { backchannelJob, oidcMaintenanceJob } from '../applications/jobs';
import type { Job } from './scheduler';

/**
 * Every scheduled job of the portal. Each job's `run` does one bounded batch of work and is safe to
 * run again at any time (the scheduler gives it to one instance at a time).
 */
export const JOBS: Job[] = [webhooksJob, backchannelJob, certificatesJob, metadataRefreshJob, inactivityJob, auditRetentionJob, oidcMaintenanceJob];
