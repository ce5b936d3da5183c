import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/lib/db/client';
import { auditEvents, users } from '@/lib/db/schema';
import { beginSignIn, postToAcs, samlTenant } from '@/lib/testing/sso';
import { sso } from '../jackson';
import { sp } from '../sp';
import { checkSamlResponse, SamlRejection } from './checks';
import { EngineRefusal, engineValidate } from './engine';

/**
 * Every SAML response passes two independent validators, the portal's checks (./checks.ts) and
 * the library's SAML engine (./engine.ts), and a sign-in needs both. Each case shows one of them
 * alone accepting a response the other refuses, and the ACS refusing it.
 */
// The database first (opening and migrating it can take a while on a busy machine), then the SSO library.
beforeAll(async () => {
  await getDb();
  await sso();
}, 60_000);

describe('two SAML validators, both must accept', () => {
  async function setUp() {
    const t = await samlTenant();
    const email = `ann@${t.domain}`;
    const b = await beginSignIn(email);
    const req = t.idp.parseAuthnRequest(b.samlRequest);
    const base = { acsUrl: sp().acsUrl, audience: sp().entityId, inResponseTo: req.id, nameId: email, attributes: { email } };
    const expectations = { spEntityId: sp().entityId, acsUrl: sp().acsUrl, idpEntityId: t.idp.entityId, certificates: [t.idp.certPem], expectedInResponseTo: req.id };
    return { ...t, email, b, req, base, expectations };
  }

  async function refusedAtAcs(tenantId: string, email: string, samlResponse: string, relayState: string) {
    const acs = await postToAcs(samlResponse, relayState);
    const db = await getDb();
    const events = await db.select().from(auditEvents).where(eq(auditEvents.tenantId, tenantId));
    const user = await db.select().from(users).where(eq(users.email, email));
    return { status: acs.status, reasons: events.filter((e) => e.action === 'sso.login_failed').map((e) => e.reason), user };
  }

  it("the portal's checks refuse what the engine alone accepts: an Audience that only starts with the SP's entity ID", async () => {
    const { tenant, idp, email, b, req, base, expectations } = await setUp();
    const xml = idp.buildResponseXml({ ...base, audience: `${sp().entityId}.attacker.example` });
    const engineAlone = await engineValidate(xml, { certificates: [idp.certPem], audience: sp().entityId, inResponseTo: req.id });
    expect(engineAlone.profile.email).toBe(email);
    expect(() => checkSamlResponse(Buffer.from(xml).toString('base64'), expectations)).toThrow(expect.objectContaining({ reason: 'audience_mismatch' }));
    const out = await refusedAtAcs(tenant.id, email, Buffer.from(xml).toString('base64'), b.relayState);
    expect(out).toEqual({ status: 400, reasons: ['audience_mismatch'], user: [] });
  });

  it("the portal's checks refuse what the engine alone accepts: an SP-initiated answer without InResponseTo", async () => {
    const { tenant, idp, email, b, req, base, expectations } = await setUp();
    const xml = idp.buildResponseXml({ ...base, inResponseTo: undefined });
    await expect(engineValidate(xml, { certificates: [idp.certPem], audience: sp().entityId, inResponseTo: req.id })).resolves.toBeTruthy();
    expect(() => checkSamlResponse(Buffer.from(xml).toString('base64'), expectations)).toThrow(SamlRejection);
    const out = await refusedAtAcs(tenant.id, email, Buffer.from(xml).toString('base64'), b.relayState);
    expect(out.status).toBe(400);
    expect(out.reasons).toEqual(['in_response_to_missing']);
    expect(out.user).toEqual([]);
  });

  it("the engine refuses what the portal's checks alone accept: a second Audience beside the SP's", async () => {
    const { tenant, idp, email, b, req, base, expectations } = await setUp();
    const xml = idp.buildResponseXml({ ...base, otherAudiences: ['https://another-sp.example'] });
    expect(checkSamlResponse(Buffer.from(xml).toString('base64'), expectations).nameId).toBe(email);
    await expect(engineValidate(xml, { certificates: [idp.certPem], audience: sp().entityId, inResponseTo: req.id })).rejects.toBeInstanceOf(EngineRefusal);
    const out = await refusedAtAcs(tenant.id, email, Buffer.from(xml).toString('base64'), b.relayState);
    expect(out).toEqual({ status: 400, reasons: ['audience_mismatch'], user: [] });
  });
});
