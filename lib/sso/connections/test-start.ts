import 'server-only';
import type { Actor } from '../../audit/types';
import { findConnectionById } from '../../dal/connections';
import { findTenant, type TenantWithDomains } from '../../dal/tenants';
import { log } from '../../log';
import { redeemTestLink } from './test-sign-in';
import { startSignIn } from '../flow';

const page = (status: number, title: string, text: string) =>
  new Response(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body style="font-family:ui-sans-serif,system-ui,sans-serif;max-width:480px;margin:15vh auto"><h1 style="font-size:20px">${title}</h1><p role="alert">${text}</p></body></html>`,
    { status, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' } },
  );

/**
 * Starts a test sign-in of one of `tenant`'s connections (any status) for `actor`: the real
 * SP-initiated flow, marked as a test, so the ACS / callback record the result instead of
 * signing anyone in.
 */
export async function startConnectionTest(tenant: TenantWithDomains, connectionId: string, actor: Actor): Promise<Response> {
  const connection = await findConnectionById(connectionId);
  if (!connection || connection.tenantId !== tenant.id) return page(404, 'Connection not found', 'This connection does not exist.');
  try {
    return await startSignIn(tenant, connection, null, { actor });
  } catch (err) {
    log('error', 'could not start a connection test', { err, connectionId });
    return page(503, 'Test could not start', 'The test sign-in could not be started; try again shortly.');
  }
}

/** Opens a single-use test link from the operator API (lib/sso/connections/test-sign-in.ts#createTestLink). */
export async function startConnectionTestByLink(slug: string, connectionId: string, token: string): Promise<Response> {
  const tenant = await findTenant({ slug });
  const actor = tenant ? await redeemTestLink(token, tenant.id, connectionId) : null;
  if (!tenant || !actor) {
    return page(410, 'Test link not valid', 'This test link was already used or has expired. Ask for a new one.');
  }
  return startConnectionTest(tenant, connectionId, actor);
}
