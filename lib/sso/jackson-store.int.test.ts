import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { PGlite } from '@electric-sql/pglite';
// Named import: in plain Node ESM the default import is the CJS exports object, not the function.
import { controllers as jackson } from '@boxyhq/saml-jackson';
import type { Encrypted, Index, SortOrder } from '@boxyhq/saml-jackson';
import { getTableConfig } from 'drizzle-orm/pg-core';
import forge from 'node-forge';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignedXml } from 'xml-crypto';
import type { DbHandle } from '../db/client';
import { ssoStoreEntries, ssoStoreIndexes } from '../db/schema/sso';
import { createJacksonDriver, jacksonStoreKey, type JacksonDriver } from './jackson-store';

/**
 * The store's semantics (see jackson-store.ts), table by table, then the SSO library end to end on
 * top of it. Runs on an in-memory PGlite; in the `postgres` project on a pg Pool (its own schema
 * in the run's database), so the no-pinned-client path is covered too.
 */

// What drizzle-kit generates for lib/db/schema/sso.ts (schema-qualified FK target left out so the
// pg run can live in its own schema). The "schema matches" test below keeps the two in step.
const DDL = `
CREATE TABLE "sso_store_entries" (
	"namespace" text NOT NULL,
	"key" text NOT NULL,
	"value" text NOT NULL,
	"iv" text,
	"tag" text,
	"seq" bigint GENERATED ALWAYS AS IDENTITY (sequence name "sso_store_entries_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"modified_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone,
	CONSTRAINT "sso_store_entries_pkey" PRIMARY KEY("namespace","key")
);
CREATE TABLE "sso_store_indexes" (
	"namespace" text NOT NULL,
	"index_name" text NOT NULL,
	"index_value" text NOT NULL,
	"key" text NOT NULL,
	"id" bigint GENERATED ALWAYS AS IDENTITY (sequence name "sso_store_indexes_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	CONSTRAINT "sso_store_indexes_pkey" PRIMARY KEY("namespace","index_name","index_value","key")
);
ALTER TABLE "sso_store_indexes" ADD CONSTRAINT "sso_store_indexes_entry_fk" FOREIGN KEY ("namespace","key") REFERENCES "sso_store_entries"("namespace","key") ON DELETE cascade ON UPDATE no action;
CREATE INDEX "sso_store_entries_namespace_created_idx" ON "sso_store_entries" USING btree ("namespace","created_at","seq");
CREATE INDEX "sso_store_entries_expires_idx" ON "sso_store_entries" USING btree ("expires_at") WHERE "sso_store_entries"."expires_at" is not null;
CREATE INDEX "sso_store_indexes_lookup_idx" ON "sso_store_indexes" USING btree ("namespace","index_name","index_value","id");
CREATE INDEX "sso_store_indexes_entry_idx" ON "sso_store_indexes" USING btree ("namespace","key");
`;

type Query = DbHandle['query'];

async function openBackend(): Promise<{ kind: string; query: Query; close: () => Promise<void> }> {
  const url = process.env.DATABASE_URL;
  if (url) {
    const schema = `sso_store_test_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    await admin.end();
    const pool = new pg.Pool({ connectionString: url, max: 4, options: `-c search_path=${schema}` });
    // pool.end() resolves while its clients' sockets still close; the file's database, dropped right
    // after (setup-postgres.ts), then ends them with an error nobody is waiting for.
    pool.on('error', () => {});
    const query = (async (text: string, params?: unknown[]) => (await pool.query(text, params)).rows) as Query;
    await query(DDL);
    return {
      kind: 'postgres',
      query,
      close: async () => {
        await pool.query(`drop schema ${schema} cascade`);
        await pool.end();
      },
    };
  }
  const client = new PGlite();
  await client.exec(DDL);
  const query = (async (text: string, params?: unknown[]) => (await client.query(text, params)).rows) as Query;
  return { kind: 'pglite', query, close: () => client.close() };
}

let backend: Awaited<ReturnType<typeof openBackend>>;
let d: JacksonDriver;
let nsCounter = 0;
/** A namespace no other test uses (the library's look like 'saml:config'). */
const freshNs = () => `test:${nsCounter++}`;
const rec = (v: unknown): Encrypted => ({ value: JSON.stringify(v) });
const enc = (i: number): Encrypted => ({ value: `cipher-${i}`, iv: `iv-${i}`, tag: `tag-${i}` });
const ids = (r: { data: Encrypted[] }) => r.data.map((x) => JSON.parse(x.value).id as string);
const sql = <T = Record<string, unknown>>(text: string, params?: unknown[]) => backend.query<T>(text, params);
const expire = (ns: string, key: string) =>
  sql(`update sso_store_entries set expires_at = now() - interval '1 second' where namespace = $1 and key = $2`, [ns, key]);
const indexRows = async (ns: string) =>
  (await sql<{ n: number }>(`select count(*)::int as n from sso_store_indexes where namespace = $1`, [ns]))[0].n;

beforeAll(async () => {
  backend = await openBackend();
  d = createJacksonDriver(backend.query, { pageLimit: 4, cleanupIntervalSeconds: 0 });
});

afterAll(async () => {
  await d?.close();
  await backend?.close();
});

describe('schema', () => {
  it(`the test DDL matches lib/db/schema/sso.ts (on ${process.env.DATABASE_URL ? 'postgres' : 'pglite'})`, async () => {
    for (const table of [ssoStoreEntries, ssoStoreIndexes]) {
      const cfg = getTableConfig(table);
      const cols = await sql<{ column_name: string; data_type: string; is_nullable: string }>(
        `select column_name, data_type, is_nullable from information_schema.columns
         where table_schema = current_schema() and table_name = $1 order by ordinal_position`,
        [cfg.name],
      );
      expect(cols.map((c) => [c.column_name, c.data_type, c.is_nullable === 'NO'])).toEqual(
        cfg.columns.map((c) => [c.name, c.getSQLType(), c.notNull]),
      );
      const indexes = await sql<{ indexname: string }>(
        `select indexname from pg_indexes where schemaname = current_schema() and tablename = $1`,
        [cfg.name],
      );
      const expected = [...cfg.indexes.map((i) => i.config.name), ...cfg.primaryKeys.map((p) => p.getName())];
      expect(indexes.map((i) => i.indexname).sort()).toEqual(expected.sort());
      const fks = await sql<{ conname: string }>(
        `select conname from pg_constraint where contype = 'f' and conrelid = $1::regclass`,
        [cfg.name],
      );
      expect(fks.map((f) => f.conname)).toEqual(cfg.foreignKeys.map((f) => f.getName()));
    }
  });
});

describe('get / put', () => {
  it.each([
    { name: 'plain JSON record', val: rec({ id: 'a', n: 1 }) },
    { name: 'encrypted record keeps iv and tag', val: enc(7) },
    { name: 'unicode and quotes survive', val: rec({ id: 'ü', s: `'"\\\n` }) },
  ])('round trip: $name', async ({ val }) => {
    const ns = freshNs();
    await d.put(ns, 'k', val, 0);
    expect(await d.get(ns, 'k')).toEqual(val);
  });

  it.each([
    { name: 'missing key', ns: 'present', key: 'nope' },
    { name: 'same key, other namespace', ns: 'other', key: 'k' },
  ])('get returns null: $name', async ({ ns, key }) => {
    const base = freshNs();
    await d.put(`${base}:present`, 'k', rec({ id: 'x' }), 0);
    expect(await d.get(`${base}:${ns}`, key)).toBeNull();
  });

  it('overwrite replaces the value and keeps the creation order', async () => {
    const ns = freshNs();
    await d.put(ns, 'a', rec({ id: 'a', v: 1 }), 0);
    await d.put(ns, 'b', rec({ id: 'b' }), 0);
    await d.put(ns, 'a', rec({ id: 'a', v: 2 }), 0);
    expect(JSON.parse((await d.get(ns, 'a')).value)).toEqual({ id: 'a', v: 2 });
    expect(ids(await d.getAll(ns))).toEqual(['b', 'a']);
    expect(await d.getCount(ns)).toBe(2);
  });
});

describe('indexes', () => {
  const A: Index = { name: 'tenantProduct', value: 'digest-a' };
  const B: Index = { name: 'tenantProduct', value: 'digest-b' };
  const E: Index = { name: 'entityID', value: 'digest-a' };

  it.each([
    {
      name: 'a later put with other indexes adds to them (reference sql/mem/redis drivers do the same)',
      puts: [[A], [B]],
      expect: { A: ['k'], B: ['k'], E: [] },
    },
    { name: 'a later put without indexes keeps them (library updates records that way)', puts: [[A, E], []], expect: { A: ['k'], B: [], E: ['k'] } },
    { name: 'same value under another index name is a different index', puts: [[E]], expect: { A: [], B: [], E: ['k'] } },
    { name: 'a repeated index in one put is stored once', puts: [[A, A, A]], expect: { A: ['k'], B: [], E: [] } },
  ])('$name', async ({ puts, expect: want }) => {
    const ns = freshNs();
    for (const [i, idx] of puts.entries()) await d.put(ns, 'k', rec({ id: 'k', i }), 0, ...idx);
    expect(ids(await d.getByIndex(ns, A))).toEqual(want.A);
    expect(ids(await d.getByIndex(ns, B))).toEqual(want.B);
    expect(ids(await d.getByIndex(ns, E))).toEqual(want.E);
    expect(await d.getCount(ns, A)).toBe(want.A.length);
    expect(JSON.parse((await d.get(ns, 'k')).value).i).toBe(puts.length - 1);
  });

  it('getByIndex returns the current value of each key, not a copy', async () => {
    const ns = freshNs();
    await d.put(ns, 'k', rec({ id: 'k', v: 1 }), 0, A);
    await d.put(ns, 'k', rec({ id: 'k', v: 2 }), 0);
    expect((await d.getByIndex(ns, A)).data.map((x) => JSON.parse(x.value).v)).toEqual([2]);
  });
});

// Driver made with pageLimit 4: a missing, zero, invalid or larger limit means 4.
const paging: { name: string; args: [number?, number?, string?, SortOrder?]; want: string[] }[] = [
  { name: 'defaults: newest first, capped at pageLimit', args: [], want: ['k5', 'k4', 'k3', 'k2'] },
  { name: 'first page of 2', args: [0, 2], want: ['k5', 'k4'] },
  { name: 'second page of 2', args: [2, 2], want: ['k3', 'k2'] },
  { name: 'last, short page', args: [4, 2], want: ['k1'] },
  { name: 'past the end', args: [10, 2], want: [] },
  { name: 'ascending', args: [0, 2, undefined, 'ASC'], want: ['k1', 'k2'] },
  { name: 'ascending second page', args: [2, 2, undefined, 'ASC'], want: ['k3', 'k4'] },
  { name: 'explicit DESC', args: [1, 1, undefined, 'DESC'], want: ['k4'] },
  { name: 'limit 0 means pageLimit', args: [0, 0], want: ['k5', 'k4', 'k3', 'k2'] },
  { name: 'limit above pageLimit is capped', args: [1, 100], want: ['k4', 'k3', 'k2', 'k1'] },
  { name: 'NaN offset means 0', args: [Number.NaN, 1], want: ['k5'] },
  { name: 'negative offset means 0', args: [-3, 1], want: ['k5'] },
  { name: 'pageToken is ignored', args: [0, 1, 'some-token'], want: ['k5'] },
];

describe('getAll', () => {
  let ns: string;
  beforeAll(async () => {
    ns = freshNs();
    for (let i = 1; i <= 5; i++) await d.put(ns, `k${i}`, rec({ id: `k${i}` }), 0);
    // a rewrite of k2 does not move it
    await d.put(ns, 'k2', rec({ id: 'k2', again: true }), 0);
  });

  it.each(paging)('$name', async ({ args, want }) => {
    const res = await d.getAll(ns, ...args);
    expect(ids(res)).toEqual(want);
    expect(res).not.toHaveProperty('pageToken');
  });

  it('an unknown namespace is empty', async () => {
    expect(await d.getAll(freshNs())).toEqual({ data: [] });
  });
});

describe('getByIndex', () => {
  let ns: string;
  const idx: Index = { name: 'product', value: 'p-digest' };
  beforeAll(async () => {
    ns = freshNs();
    // keys indexed in order k1..k5; noise under another value and a key that was never indexed
    for (let i = 1; i <= 5; i++) await d.put(ns, `k${i}`, rec({ id: `k${i}` }), 0, idx, { name: 'product', value: 'other' });
    await d.put(ns, 'plain', rec({ id: 'plain' }), 0);
    await d.put(ns, 'x', rec({ id: 'x' }), 0, { name: 'product', value: 'other' });
  });

  it.each(paging)('$name', async ({ args, want }) => {
    const res = await d.getByIndex(ns, idx, ...args);
    expect(ids(res)).toEqual(want);
    expect(res).not.toHaveProperty('pageToken');
  });

  it('an unknown index value is empty', async () => {
    expect(await d.getByIndex(ns, { name: 'product', value: 'nope' })).toEqual({ data: [] });
  });
});

describe('getCount', () => {
  it.each([
    { name: 'namespace', idx: undefined, want: 3 },
    { name: 'index', idx: { name: 'n', value: 'v' }, want: 2 },
    { name: 'unknown index', idx: { name: 'n', value: 'zzz' }, want: 0 },
  ])('counts live records by $name', async ({ idx, want }) => {
    const ns = freshNs();
    await d.put(ns, 'a', rec({ id: 'a' }), 0, { name: 'n', value: 'v' });
    await d.put(ns, 'b', rec({ id: 'b' }), 0, { name: 'n', value: 'v' });
    await d.put(ns, 'c', rec({ id: 'c' }), 0);
    await d.put(ns, 'dead', rec({ id: 'dead' }), 60, { name: 'n', value: 'v' });
    await expire(ns, 'dead');
    await d.put(freshNs(), 'a', rec({ id: 'a' }), 0, { name: 'n', value: 'v' });
    expect(await d.getCount(ns, idx)).toBe(want);
  });
});

describe('delete / deleteMany', () => {
  const idx: Index = { name: 'n', value: 'v' };

  it.each([
    { name: 'delete one', run: (ns: string) => d.delete(ns, 'b'), left: ['a', 'c'] },
    { name: 'deleteMany', run: (ns: string) => d.deleteMany(ns, ['a', 'c', 'missing']), left: ['b'] },
    { name: 'deleteMany of nothing', run: (ns: string) => d.deleteMany(ns, []), left: ['a', 'b', 'c'] },
    { name: 'delete of a missing key', run: (ns: string) => d.delete(ns, 'missing'), left: ['a', 'b', 'c'] },
  ])('$name removes the records and their index rows only', async ({ run, left }) => {
    const ns = freshNs();
    const other = freshNs();
    for (const k of ['a', 'b', 'c']) {
      await d.put(ns, k, rec({ id: k }), 0, idx);
      await d.put(other, k, rec({ id: k }), 0, idx);
    }
    await run(ns);
    expect(ids(await d.getAll(ns, 0, 4, undefined, 'ASC'))).toEqual(left);
    expect(ids(await d.getByIndex(ns, idx, 0, 4, undefined, 'ASC'))).toEqual(left);
    expect(await indexRows(ns)).toBe(left.length);
    for (const k of ['a', 'b', 'c']) expect(await d.get(ns, k)).toEqual(left.includes(k) ? rec({ id: k }) : null);
    expect(await d.getCount(other)).toBe(3); // same keys elsewhere untouched
  });
});

describe('database failure', () => {
  const down = createJacksonDriver(async () => {
    throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
  });

  it("the library's un-awaited trace sweep gets an empty list instead of a rejection", async () => {
    expect(await down.getAll('saml:tracer', 0, 50)).toEqual({ data: [] });
    expect(await down.delete('saml:tracer', 'k')).toBe(false);
  });

  it('every other read and write still fails, so a sign-in never mistakes an outage for "not found"', async () => {
    await expect(down.getAll('saml:config', 0, 50)).rejects.toThrow('ECONNREFUSED');
    await expect(down.delete('oauth:code', 'k')).rejects.toThrow('ECONNREFUSED');
    await expect(down.get('saml:tracer', 'k')).rejects.toThrow('ECONNREFUSED');
  });
});

describe('ttl', () => {
  const idx: Index = { name: 'n', value: 'v' };

  it.each([
    { name: 'ttl 300 sets expires_at 300 s ahead', ttl: 300, seconds: 300 },
    { name: 'fractional ttl', ttl: 1.5, seconds: 1.5 },
    { name: 'ttl 0 means no expiry', ttl: 0, seconds: null },
    { name: 'negative ttl means no expiry', ttl: -5, seconds: null },
  ])('$name', async ({ ttl, seconds }) => {
    const ns = freshNs();
    await d.put(ns, 'k', rec({ id: 'k' }), ttl);
    const [row] = await sql<{ s: number | null }>(
      `select extract(epoch from expires_at - modified_at)::float8 as s from sso_store_entries where namespace = $1`,
      [ns],
    );
    if (seconds === null) expect(row.s).toBeNull();
    else expect(Number(row.s)).toBeCloseTo(seconds, 3);
    // Gone before it expires in the middle of a later test's sweep count.
    await sql(`delete from sso_store_entries where namespace = $1`, [ns]);
  });

  it('an expired record is invisible to every read before any sweep', async () => {
    const ns = freshNs();
    await d.put(ns, 'live', rec({ id: 'live' }), 60, idx);
    await d.put(ns, 'dead', rec({ id: 'dead' }), 60, idx);
    await expire(ns, 'dead');
    expect(await d.get(ns, 'dead')).toBeNull();
    expect(ids(await d.getAll(ns))).toEqual(['live']);
    expect(ids(await d.getByIndex(ns, idx))).toEqual(['live']);
    expect(await d.getCount(ns)).toBe(1);
    expect(await d.getCount(ns, idx)).toBe(1);
  });

  it('expires by the clock (ttl 1 s)', async () => {
    const ns = freshNs();
    await d.put(ns, 'k', rec({ id: 'k' }), 1);
    expect(await d.get(ns, 'k')).not.toBeNull();
    await new Promise((r) => setTimeout(r, 1200));
    expect(await d.get(ns, 'k')).toBeNull();
  });

  it('an overwrite without ttl makes the record permanent; with ttl it restarts the clock', async () => {
    const ns = freshNs();
    await d.put(ns, 'k', rec({ id: 'k' }), 60);
    await d.put(ns, 'k', rec({ id: 'k' }), 0);
    expect((await sql(`select expires_at from sso_store_entries where namespace = $1`, [ns]))[0].expires_at).toBeNull();
    await d.put(ns, 'k', rec({ id: 'k' }), 60);
    await expire(ns, 'k');
    await d.put(ns, 'k', rec({ id: 'k', v: 2 }), 60);
    expect(JSON.parse((await d.get(ns, 'k')).value).v).toBe(2);
  });

  it('a put over an expired, unswept record starts afresh: old indexes gone, created now', async () => {
    const ns = freshNs();
    const keep: Index = { name: 'n', value: 'keep' };
    const old: Index = { name: 'n', value: 'old' };
    await d.put(ns, 'k', rec({ id: 'k' }), 60, old, keep);
    await d.put(ns, 'later', rec({ id: 'later' }), 60);
    await expire(ns, 'k');
    await d.put(ns, 'k', rec({ id: 'k', v: 2 }), 60, keep);
    expect(ids(await d.getByIndex(ns, old))).toEqual([]);
    expect(ids(await d.getByIndex(ns, keep))).toEqual(['k']);
    expect(ids(await d.getAll(ns))).toEqual(['k', 'later']);
  });

  it.each([
    { name: 'one batch', limit: 100, expired: 5 },
    { name: 'several batches', limit: 2, expired: 5 },
    { name: 'exact multiple of the batch', limit: 5, expired: 5 },
  ])('cleanupExpired deletes expired records and their index rows: $name', async ({ limit, expired }) => {
    await d.cleanupExpired(); // rows other tests left expired
    const ns = freshNs();
    for (let i = 0; i < expired; i++) {
      await d.put(ns, `dead${i}`, rec({ id: `dead${i}` }), 60, idx);
      await expire(ns, `dead${i}`);
    }
    await d.put(ns, 'ttl-live', rec({ id: 'ttl-live' }), 60, idx);
    await d.put(ns, 'permanent', rec({ id: 'permanent' }), 0, idx);
    expect(await d.cleanupExpired(limit)).toBe(expired);
    expect(await d.getCount(ns)).toBe(2);
    const [{ n }] = await sql<{ n: number }>(`select count(*)::int as n from sso_store_entries where namespace = $1`, [ns]);
    expect(n).toBe(2);
    expect(await indexRows(ns)).toBe(2);
    expect(await d.cleanupExpired(limit)).toBe(0);
  });
});

describe('concurrency', () => {
  it('parallel puts of one key with different indexes all land, one value wins', async () => {
    const ns = freshNs();
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => d.put(ns, 'k', rec({ id: 'k', i }), 0, { name: 'n', value: `v${i}` })),
    );
    expect(await d.getCount(ns)).toBe(1);
    expect(await indexRows(ns)).toBe(10);
  });
});

// ---------------------------------------------------------------------------------------------
// The library on top of the driver. It caches its database on `global`, so one instance per file.

const EXTERNAL = 'http://localhost:3000';
const AUDIENCE = 'http://localhost:3000/saml/sp';
const IDP_ENTITY = 'https://idp.example.test/metadata';
const IDP_SSO = 'https://idp.example.test/sso';
const REDIRECT = 'http://localhost:3000/sso/callback';

function makeIdp(entityId = IDP_ENTITY, ssoUrl = IDP_SSO) {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = '01' + randomBytes(8).toString('hex');
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 365 * 24 * 3600_000);
  const attrs = [{ name: 'commonName', value: 'Test IdP' }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  cert.sign(forge.pki.privateKeyFromPem(keyPem), forge.md.sha256.create());
  const certPem = forge.pki.certificateToPem(cert);
  const certB64 = certPem.replace(/-----[^-]+-----|\s/g, '');
  const metadata = `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${entityId}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${certB64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${ssoUrl}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`;
  return { keyPem, certPem, metadata };
}

/** A SAML Response as an IdP would POST it to the ACS, with the assertion signed. */
function samlResponse(idp: ReturnType<typeof makeIdp>, inResponseTo: string, email: string): string {
  const now = new Date();
  const iso = (ms: number) => new Date(now.getTime() + ms).toISOString();
  const xml =
    `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r${randomBytes(8).toString('hex')}" Version="2.0" IssueInstant="${iso(0)}" Destination="${EXTERNAL}/api/oauth/saml" InResponseTo="${inResponseTo}">` +
    `<saml:Issuer>${IDP_ENTITY}</saml:Issuer>` +
    `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
    `<saml:Assertion ID="_a${randomBytes(8).toString('hex')}" Version="2.0" IssueInstant="${iso(0)}">` +
    `<saml:Issuer>${IDP_ENTITY}</saml:Issuer>` +
    `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">${email}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData InResponseTo="${inResponseTo}" NotOnOrAfter="${iso(300_000)}" Recipient="${EXTERNAL}/api/oauth/saml"/></saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions NotBefore="${iso(-60_000)}" NotOnOrAfter="${iso(300_000)}"><saml:AudienceRestriction><saml:Audience>${AUDIENCE}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${iso(0)}" SessionIndex="_s1"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
    `<saml:AttributeStatement><saml:Attribute Name="http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"><saml:AttributeValue>Ada</saml:AttributeValue></saml:Attribute></saml:AttributeStatement>` +
    `</saml:Assertion></samlp:Response>`;
  const sig = new SignedXml({
    privateKey: idp.keyPem,
    publicCert: idp.certPem,
    signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  });
  sig.addReference({
    xpath: "//*[local-name(.)='Assertion']",
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
  });
  sig.computeSignature(xml, {
    location: { reference: "//*[local-name(.)='Assertion']/*[local-name(.)='Issuer']", action: 'after' },
  });
  return Buffer.from(sig.getSignedXml()).toString('base64');
}

describe('@boxyhq/saml-jackson on this driver', () => {
  type Jackson = Awaited<ReturnType<typeof jackson>>;
  let j: Jackson;
  let libDriver: JacksonDriver;
  const errors: unknown[] = [];
  const idp = makeIdp();
  const tenant = `acme-${randomBytes(3).toString('hex')}`;
  const product = 'portal';

  beforeAll(async () => {
    libDriver = createJacksonDriver(backend.query, { cleanupIntervalSeconds: 0 });
    j = await jackson({
      externalUrl: EXTERNAL,
      samlPath: '/api/oauth/saml',
      samlAudience: AUDIENCE,
      noAnalytics: true,
      db: { driver: libDriver, encryptionKey: 'k'.repeat(16) + randomBytes(8).toString('hex') },
      logger: { info: () => {}, warn: () => {}, error: (msg, err) => errors.push([msg, err]) },
    });
  });

  afterAll(async () => {
    await j?.close(); // stops the library's stats timer and closes our driver (not the database)
  });

  it('creates a SAML connection and reads it back', async () => {
    const created = await j.connectionAPIController.createSAMLConnection({
      rawMetadata: idp.metadata,
      defaultRedirectUrl: REDIRECT,
      redirectUrl: JSON.stringify([REDIRECT]),
      tenant,
      product,
    } as Parameters<Jackson['connectionAPIController']['createSAMLConnection']>[0]);
    expect(created.clientID).toMatch(/^[0-9a-f]{40}$/);

    const found = await j.connectionAPIController.getConnections({ tenant, product });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      clientID: created.clientID,
      tenant,
      product,
      defaultRedirectUrl: REDIRECT,
      redirectUrl: [REDIRECT],
      idpMetadata: { entityID: IDP_ENTITY, sso: { redirectUrl: IDP_SSO } },
    });
    expect(await j.connectionAPIController.getConnections({ clientID: created.clientID })).toHaveLength(1);
    expect(await j.connectionAPIController.getConnections({ entityId: IDP_ENTITY })).toHaveLength(1);
    expect(await j.connectionAPIController.getCount()).toBe(1);

    // Stored encrypted at rest: nothing readable in the row.
    const rows = await sql<{ value: string; iv: string | null; tag: string | null }>(
      `select value, iv, tag from sso_store_entries where namespace = 'saml:config'`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].iv).toBeTruthy();
    expect(rows[0].tag).toBeTruthy();
    expect(rows[0].value).not.toContain(tenant);
  });

  it('runs an SP-initiated sign-in: authorize → IdP → samlResponse → token → userInfo', async () => {
    const [conn] = await j.connectionAPIController.getConnections({ tenant, product });
    const state = randomBytes(8).toString('hex');
    const authz = await j.oauthController.authorize({
      tenant,
      product,
      redirect_uri: REDIRECT,
      state,
      response_type: 'code',
      client_id: 'dummy',
    } as Parameters<Jackson['oauthController']['authorize']>[0]);
    expect(authz.redirect_url).toBeDefined();
    const toIdp = new URL(authz.redirect_url!);
    expect(`${toIdp.origin}${toIdp.pathname}`).toBe(IDP_SSO);
    const relayState = toIdp.searchParams.get('RelayState')!;
    expect(relayState).toMatch(/^boxyhq_jackson_[0-9a-f]{32}$/);
    const authnRequest = inflateRawSync(Buffer.from(toIdp.searchParams.get('SAMLRequest')!, 'base64')).toString();
    const requestId = /\bID="([^"]+)"/.exec(authnRequest)![1];

    // The pending session lives in the TTL store.
    const [session] = await sql<{ s: number }>(
      `select extract(epoch from expires_at - modified_at)::float8 as s from sso_store_entries where namespace = 'oauth:session'`,
    );
    expect(Number(session.s)).toBeCloseTo(300, 3);

    const acs = await j.oauthController.samlResponse({
      SAMLResponse: samlResponse(idp, requestId, 'ada@acme.test'),
      RelayState: relayState,
    });
    expect(acs.error).toBeUndefined();
    const back = new URL(acs.redirect_url!);
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
    expect(back.searchParams.get('state')).toBe(state);
    const code = back.searchParams.get('code')!;
    expect(code).toMatch(/^[0-9a-f]+\.[0-9a-f]+$/);
    expect(await libDriver.getCount('oauth:session')).toBe(0); // consumed

    const exchange = () =>
      j.oauthController.token({
        code,
        grant_type: 'authorization_code',
        redirect_uri: REDIRECT,
        client_id: conn.clientID,
        client_secret: conn.clientSecret,
      } as Parameters<Jackson['oauthController']['token']>[0]);
    const token = await exchange();
    expect(token.token_type).toBe('bearer');
    expect(token.expires_in).toBe(300);

    // Library bug (dist/controller/oauth.js): token() deletes the wrong key, so the code survives
    // and can be exchanged again. If this starts failing, the library fixed it.
    expect(await libDriver.get('oauth:code', jacksonStoreKey(code.split('.')[1]))).not.toBeNull();
    await expect(exchange()).resolves.toMatchObject({ token_type: 'bearer' });
    // (The portal no longer redeems library codes: SAML sign-ins go straight through the SAML engine.)

    const profile = await j.oauthController.userInfo(token.access_token);
    expect(profile).toMatchObject({ email: 'ada@acme.test', id: 'ada@acme.test', firstName: 'Ada', requested: { tenant, product, state } });

    // A replay of the same response finds no session any more.
    await expect(
      j.oauthController.samlResponse({ SAMLResponse: samlResponse(idp, requestId, 'ada@acme.test'), RelayState: relayState }),
    ).rejects.toThrow(/Unable to validate state/);
    expect(errors).toEqual([]);
  });

  it('idp_hint picks any connection by clientID, whatever tenant was asked for (library behaviour)', async () => {
    const other = makeIdp('https://other-idp.example.test/metadata', 'https://other-idp.example.test/sso');
    const foreign = await j.connectionAPIController.createSAMLConnection({
      rawMetadata: other.metadata,
      defaultRedirectUrl: REDIRECT,
      redirectUrl: JSON.stringify([REDIRECT]),
      tenant: `${tenant}-other`,
      product,
    } as Parameters<Jackson['connectionAPIController']['createSAMLConnection']>[0]);
    const authz = await j.oauthController.authorize({
      tenant,
      product,
      idp_hint: foreign.clientID,
      redirect_uri: REDIRECT,
      state: 's',
      response_type: 'code',
    } as Parameters<Jackson['oauthController']['authorize']>[0]);
    // Sent to the other tenant's IdP although `tenant` was asked for; the session records `tenant`.
    expect(new URL(authz.redirect_url!).hostname).toBe('other-idp.example.test');
  });
});
