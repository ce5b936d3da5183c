import type { Job } from '../jobs/scheduler';
import { suspendInactiveUsers } from './inactivity';

/** Suspends users inactive for longer than their tenant's inactivity policy (lib/access-review/inactivity.ts). */
export const inactivityJob: Job = {
  name: 'inactivity',
  everyMs: 10 * 60_000,
  run: async () => {
    const r = await suspendInactiveUsers();
    return r.suspended ? r : undefined;
  },
};
