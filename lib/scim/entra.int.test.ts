import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import * as roleMappingsRoute from '@/app/api/v1/tenants/[tenantId]/role-mappings/route';
import * as usersRoute from '@/app/api/v1/tenants/[tenantId]/users/route';
import { getDb } from '@/lib/db/client';
import { scimUsers } from '@/lib/db/schema';
import { call } from '@/lib/testing/api';
import { entraUser, makeDirectory, patch, scimCall, scimTenant } from '@/lib/testing/scim';

const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

const tenant = () => scimTenant('Entra');

async function portalUsers(tenantId: string) {
  const res = await call(usersRoute.GET, { path: `/api/v1/tenants/${tenantId}/users?limit=200`, params: { tenantId } });
  return res.body.data as { id: string; email: string; roles: string[]; groups: string[]; status: string; source: string; firstName: string; lastName: string }[];
}

const q = (filter: string, extra = '') => `?filter=${encodeURIComponent(filter)}${extra}`;

describe('SCIM: Entra ID traffic', () => {
  it('Test Connection: a filter on an unknown user answers 200 with an empty list', async () => {
    const t = await tenant();
    const dir = await makeDirectory(t.id, 'Entra', 'entra');
    const res = await scimCall(dir, 'GET', `/Users${q('userName eq "7e3c6ca8-0f2a-4c27-8f3e-0d6e1a6b1f19"')}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ totalResults: 0, Resources: [] });
  });

  it('create with "True"/"False" strings; UPN ≠ work email; filters on userName, externalId and emails[type eq "work"].value', async () => {
    const t = await tenant();
    const dir = await makeDirectory(t.id, 'Entra', 'entra');
    const upn = `grace.hopper@contoso-${t.id.slice(-6)}.onmicrosoft.com`;
    const work = `grace@${t.domain}`;
    const body = entraUser(upn, work);
    const created = await scimCall(dir, 'POST', '/Users', body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ userName: upn, active: true, emails: [{ value: work, type: 'work', primary: true }] });
    expect(created.body[ENT]).toMatchObject({ employeeNumber: '1001', department: 'Engineering' });

    // the portal user is the work email, not the UPN
    const [pu] = await portalUsers(t.id);
    expect(pu).toMatchObject({ email: work, source: 'scim', status: 'active', firstName: 'Grace', lastName: 'Hopper' });

    for (const f of [`userName eq "${upn.toUpperCase()}"`, `externalId eq "${body.externalId}"`, `emails[type eq "work"].value eq "${work}"`]) {
      const r = await scimCall(dir, 'GET', `/Users${q(f)}`);
      expect(r.status, f).toBe(200);
      expect(r.body.totalResults, f).toBe(1);
      expect(r.body.Resources[0].id, f).toBe(created.body.id);
    }
    // externalId is case-exact; a home email does not match a work filter
    expect((await scimCall(dir, 'GET', `/Users${q(`externalId eq "${body.externalId.toUpperCase()}"`)}`)).body.totalResults).toBe(0);
    expect((await scimCall(dir, 'GET', `/Users${q(`emails[type eq "home"].value eq "${work}"`)}`)).body.totalResults).toBe(0);

    // a user created inactive ("False") is stored inactive and suspended
    const off = await scimCall(dir, 'POST', '/Users', entraUser(`off@contoso-${t.id.slice(-6)}.onmicrosoft.com`, `off@${t.domain}`, { active: 'False' }));
    expect(off.status).toBe(201);
    expect(off.body.active).toBe(false);
    expect((await portalUsers(t.id)).find((u) => u.email === `off@${t.domain}`)!.status).toBe('suspended');
  });

  it('PascalCase ops, "False"/"True" in PATCH, enterprise-extension paths, pathless replace with dotted keys', async () => {
    const t = await tenant();
    await call(roleMappingsRoute.PUT, {
      method: 'PUT',
      params: { tenantId: t.id },
      body: { rules: [{ attribute: 'department', operator: 'equals', value: 'Finance', role: 'editor' }], defaultRole: 'member' },
    });
    const dir = await makeDirectory(t.id, 'Entra', 'entra');
    const u = (await scimCall(dir, 'POST', '/Users', entraUser(`alan@contoso-${t.id.slice(-6)}.onmicrosoft.com`, `alan@${t.domain}`))).body;

    const r1 = await scimCall(
      dir,
      'PATCH',
      `/Users/${u.id}`,
      patch(
        { op: 'Replace', path: `${ENT}:employeeNumber`, value: '2002' },
        { op: 'Replace', path: `${ENT}:department`, value: 'Finance' },
        { op: 'Add', path: `${ENT}:manager`, value: 'mgr-123' },
        { op: 'Replace', path: 'active', value: 'False' },
      ),
    );
    expect(r1.status).toBe(200);
    expect(r1.body.active).toBe(false);
    expect(r1.body[ENT]).toMatchObject({ employeeNumber: '2002', department: 'Finance', manager: { value: 'mgr-123' } });
    let [pu] = await portalUsers(t.id);
    expect(pu).toMatchObject({ status: 'suspended', roles: ['editor'] });

    const r2 = await scimCall(
      dir,
      'PATCH',
      `/Users/${u.id}`,
      patch({
        op: 'Replace',
        value: { 'name.givenName': 'Alan', 'name.familyName': 'Turing', active: 'True', [`${ENT}:employeeNumber`]: '3003', displayName: 'Alan Turing' },
      }),
    );
    expect(r2.status).toBe(200);
    expect(r2.body).toMatchObject({ active: true, displayName: 'Alan Turing', name: { givenName: 'Alan', familyName: 'Turing' } });
    expect(r2.body[ENT].employeeNumber).toBe('3003');
    [pu] = await portalUsers(t.id);
    expect(pu).toMatchObject({ status: 'active', firstName: 'Alan', lastName: 'Turing' });

    // Entra changes the work email through a filtered path; and adds one where there was none
    const r3 = await scimCall(dir, 'PATCH', `/Users/${u.id}`, patch({ op: 'Replace', path: 'emails[type eq "work"].value', value: `alan.turing@${t.domain}` }));
    expect(r3.status).toBe(200);
    [pu] = await portalUsers(t.id);
    expect(pu.email).toBe(`alan.turing@${t.domain}`);
    const noMail = (await scimCall(dir, 'POST', '/Users', { userName: `nomail-${t.id}`, active: true })).body;
    const r4 = await scimCall(dir, 'PATCH', `/Users/${noMail.id}`, patch({ op: 'Add', path: 'emails[type eq "work"].value', value: `late@${t.domain}` }));
    expect(r4.status).toBe(200);
    expect(r4.body.emails).toEqual([{ type: 'work', value: `late@${t.domain}` }]);
    expect((await portalUsers(t.id)).map((x) => x.email)).toContain(`late@${t.domain}`);

    // a password-only PATCH is accepted and changes nothing
    const r5 = await scimCall(dir, 'PATCH', `/Users/${u.id}`, patch({ op: 'replace', path: 'password', value: 'x' }));
    expect(r5.status).toBe(200);
  });

  it('groups: Add/Remove member value lists, excludedAttributes=members, membership check filter', async () => {
    const t = await tenant();
    const dir = await makeDirectory(t.id, 'Entra', 'entra');
    const us = [];
    for (const n of ['m1', 'm2', 'm3']) us.push((await scimCall(dir, 'POST', '/Users', entraUser(`${n}@contoso.onmicrosoft.com`, `${n}@${t.domain}`))).body);
    const g = await scimCall(dir, 'POST', '/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      externalId: 'entra-group-1',
      displayName: 'Engineering',
      meta: { resourceType: 'Group' },
    });
    expect(g.status).toBe(201);
    expect((await scimCall(dir, 'GET', `/Groups${q('displayName eq "engineering"')}`)).body.totalResults).toBe(1);

    const add = await scimCall(dir, 'PATCH', `/Groups/${g.body.id}`, patch({ op: 'Add', path: 'members', value: us.map((u) => ({ value: u.id })) }));
    expect(add.status).toBe(204);
    // removing one member never empties the group
    const rem = await scimCall(dir, 'PATCH', `/Groups/${g.body.id}`, patch({ op: 'Remove', path: 'members', value: [{ value: us[0].id }] }));
    expect(rem.status).toBe(204);
    const full = await scimCall(dir, 'GET', `/Groups/${g.body.id}`);
    expect(full.body.members.map((m: { value: string }) => m.value).sort()).toEqual([us[1].id, us[2].id].sort());

    const lean = await scimCall(dir, 'GET', `/Groups/${g.body.id}?excludedAttributes=members`);
    expect(lean.status).toBe(200);
    expect(lean.body).not.toHaveProperty('members');
    expect(lean.body.displayName).toBe('Engineering');
    const leanList = await scimCall(dir, 'GET', `/Groups${q(`externalId eq "entra-group-1"`, '&excludedAttributes=members')}`);
    expect(leanList.body.Resources[0]).not.toHaveProperty('members');

    // Entra's membership check
    const isMember = await scimCall(dir, 'GET', `/Groups${q(`id eq "${g.body.id}" and members[value eq "${us[1].id}"]`, '&excludedAttributes=members')}`);
    expect(isMember.body.totalResults).toBe(1);
    const notMember = await scimCall(dir, 'GET', `/Groups${q(`id eq "${g.body.id}" and members[value eq "${us[0].id}"]`, '&excludedAttributes=members')}`);
    expect(notMember.body.totalResults).toBe(0);

    // Replace displayName (PascalCase) → members' groups follow
    expect((await scimCall(dir, 'PATCH', `/Groups/${g.body.id}`, patch({ op: 'Replace', path: 'displayName', value: 'Eng' }))).status).toBe(204);
    const pus = await portalUsers(t.id);
    expect(pus.find((u) => u.email === `m2@${t.domain}`)!.groups).toEqual(['Eng']);
    expect(pus.find((u) => u.email === `m1@${t.domain}`)!.groups).toEqual([]);

    // users can be found by filter on group membership in their representation
    const u2 = await scimCall(dir, 'GET', `/Users/${us[1].id}?attributes=userName,groups`);
    expect(u2.body).toMatchObject({ id: us[1].id, userName: us[1].userName, groups: [{ value: g.body.id, display: 'Eng' }] });
    expect(u2.body).not.toHaveProperty('emails');

    const db = await getDb();
    expect((await db.select().from(scimUsers).where(eq(scimUsers.directoryId, dir.id))).length).toBe(3);
  });

  it('one PATCH filling a new work address and work email field by field makes one entry each; a pathless replace of emails replaces them; a new primary takes over', async () => {
    const t = await tenant();
    const dir = await makeDirectory(t.id, 'Entra', 'entra');
    const upn = `ada@contoso-${t.id.slice(-6)}.onmicrosoft.com`;
    const created = await scimCall(dir, 'POST', '/Users', { ...entraUser(upn, `ada@${t.domain}`), addresses: undefined, emails: [{ type: 'home', value: `ada.home@${t.domain}`, primary: 'True' }] });
    expect(created.status).toBe(201);
    const id = created.body.id;

    // Entra's default mappings: one op per sub-attribute of an entry the user does not have yet.
    const res = await scimCall(
      dir,
      'PATCH',
      `/Users/${id}`,
      patch(
        { op: 'Add', path: 'addresses[type eq "work"].streetAddress', value: '1 Main St' },
        { op: 'Add', path: 'addresses[type eq "work"].locality', value: 'Springfield' },
        { op: 'Add', path: 'addresses[type eq "work"].postalCode', value: '12345' },
        { op: 'Add', path: 'emails[type eq "work"].value', value: `ada@${t.domain}` },
        { op: 'Add', path: 'emails[type eq "work"].primary', value: 'True' },
      ),
    );
    expect(res.status).toBe(200);
    expect(res.body.addresses).toEqual([{ type: 'work', streetAddress: '1 Main St', locality: 'Springfield', postalCode: '12345' }]);
    // The new work email is primary now; the home email no longer is, and the portal user follows.
    expect(res.body.emails).toEqual([
      { type: 'home', value: `ada.home@${t.domain}`, primary: false },
      { type: 'work', value: `ada@${t.domain}`, primary: true },
    ]);
    expect((await portalUsers(t.id)).map((u) => u.email)).toEqual([`ada@${t.domain}`]);

    // A replace without a path replaces the list (RFC 7644 §3.5.2.3), and sets other attributes as before.
    const replaced = await scimCall(
      dir,
      'PATCH',
      `/Users/${id}`,
      patch({ op: 'replace', value: { displayName: 'Ada L.', emails: [{ type: 'work', value: `lovelace@${t.domain}`, primary: true }] } }),
    );
    expect(replaced.status).toBe(200);
    expect(replaced.body.emails).toEqual([{ type: 'work', value: `lovelace@${t.domain}`, primary: true }]);
    expect(replaced.body.displayName).toBe('Ada L.');
    expect((await portalUsers(t.id)).map((u) => u.email)).toEqual([`lovelace@${t.domain}`]);
  });
});
