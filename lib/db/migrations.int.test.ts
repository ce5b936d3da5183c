import { readFileSync } from 'node:fs';
import path from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { SYSTEM } from '@/lib/audit/types';
import { createConnection } from '@/lib/dal/connections';
import { createTenant } from '@/lib/dal/tenants';
import { TestSamlIdp } from '@/lib/demo/saml-idp';
import { uniqueDomain } from '@/lib/testing/api';
import { getDb } from './client';
import { connections } from './schema';

/** Data migrations, re-run on rows in the old shape (schema migrations are exercised by every test). */
describe('data migrations', () => {
  it('0011 upper-cases stored certificate fingerprints and keeps everything else', async () => {
    const tenant = await createTenant(SYSTEM, { name: `Fp ${uniqueDomain('fp')}` });
    const idp = new TestSamlIdp({ entityId: `https://fp-${Date.now()}.example.com`, ssoUrl: 'https://fp.example.com/sso' });
    const c = await createConnection(SYSTEM, tenant.id, { type: 'saml', metadataXml: idp.metadataXml() });
    const db = await getDb();
    const [row] = await db.select().from(connections).where(eq(connections.id, c.id));
    const upper = row.idp.certificates![0].fingerprintSha256;
    expect(upper).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    const old = { ...row.idp, certificates: row.idp.certificates!.map((x) => ({ ...x, fingerprintSha256: x.fingerprintSha256.toLowerCase() })) };
    await db.update(connections).set({ idp: old }).where(eq(connections.id, c.id));

    // The migration's statement, narrowed to this row (other tests' rows are left alone).
    const migration = readFileSync(path.join(process.cwd(), 'drizzle/0011_cert_fingerprint_upper.sql'), 'utf8');
    expect(migration).toContain('WHERE jsonb_typeof');
    await db.execute(sql.raw(migration.replace('WHERE jsonb_typeof', `WHERE "id" = '${c.id}' AND jsonb_typeof`)));
    const [after] = await db.select().from(connections).where(eq(connections.id, c.id));
    expect(after.idp).toEqual(row.idp);
  });
});
