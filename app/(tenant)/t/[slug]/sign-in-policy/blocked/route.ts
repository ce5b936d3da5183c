import { consoleBlockedPage } from '@/components/policies/console-blocked';
import { requestMeta } from '@/lib/http/request-meta';

/** Where a tenant admin outside the tenant's console allowlist lands (lib/auth/guards.ts): a 403 that says why. */
export const GET = (req: Request) => consoleBlockedPage(requestMeta(req).ip ?? null);
