import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import * as userRoute from '@/app/api/v1/tenants/[tenantId]/users/[userId]/route';
import * as reactivateRoute from '@/app/api/v1/tenants/[tenantId]/users/[userId]/reactivate/route';
import * as suspendRoute from '@/app/api/v1/tenants/[tenantId]/users/[userId]/suspend/route';
import * as usersRoute from '@/app/api/v1/tenants/[tenantId]/users/route';
import { getDb } from '@/lib/db/client';
import { auditEvents, sessions, users } from '@/lib/db/schema';
import { liveSession } from '@/lib/dal/sessions';
import { call } from '@/lib/testing/api';
import { samlSignIn, samlTenant } from '@/lib/testing/sso';

describe('admin suspends, reactivates and deletes users', () => {
  it('suspension ends sessions at once and refuses sign-in; reactivation lets the user back in; delete removes them', async () => {
    const { tenant, idp, domain } = await samlTenant();
    const email = `life@${domain}`;
    expect((await samlSignIn(idp, email)).callback!.status).toBe(303);
    const db = await getDb();
    const [user] = await db.select().from(users).where(eq(users.tenantId, tenant.id));
    const [session] = await db.select().from(sessions).where(eq(sessions.subjectId, user.id));
    expect(await liveSession(session.id)).not.toBeNull();

    const params = { tenantId: tenant.id, userId: user.id };
    const sus = await call(suspendRoute.POST, { method: 'POST', params });
    expect(sus.status).toBe(200);
    expect(sus.body).toMatchObject({ id: user.id, status: 'suspended' });
    expect(await liveSession(session.id)).toBeNull();
    expect(await db.select().from(sessions).where(eq(sessions.subjectId, user.id))).toHaveLength(0);
    const refused = await samlSignIn(idp, email);
    expect(refused.callback!.status).toBe(403);

    const re = await call(reactivateRoute.POST, { method: 'POST', params });
    expect(re.body).toMatchObject({ status: 'active' });
    expect((await samlSignIn(idp, email)).callback!.status).toBe(303);

    expect((await call(userRoute.DELETE, { method: 'DELETE', params })).status).toBe(204);
    expect((await call(userRoute.GET, { params })).status).toBe(404);
    expect((await call(usersRoute.GET, { params: { tenantId: tenant.id } })).body.data).toHaveLength(0);
    expect(await db.select().from(sessions).where(eq(sessions.subjectId, user.id))).toHaveLength(0);

    const actions = (await db.select().from(auditEvents).where(eq(auditEvents.tenantId, tenant.id)).orderBy(auditEvents.id)).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['user.suspended', 'user.reactivated', 'user.deleted']));
    expect(actions.filter((a) => a === 'sso.login_failed')).toHaveLength(1);
  });

  it('another tenant’s user is a 404 through this tenant', async () => {
    const a = await samlTenant();
    const b = await samlTenant();
    await samlSignIn(a.idp, `x@${a.domain}`);
    const db = await getDb();
    const [user] = await db.select().from(users).where(eq(users.tenantId, a.tenant.id));
    const res = await call(suspendRoute.POST, { method: 'POST', params: { tenantId: b.tenant.id, userId: user.id } });
    expect(res.status).toBe(404);
    const [still] = await db.select().from(users).where(eq(users.id, user.id));
    expect(still.status).toBe('active');
  });
});
