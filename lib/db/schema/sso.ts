import { sql } from 'drizzle-orm';
import { bigint, foreignKey, index, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Key-value storage of the embedded SSO library (@boxyhq/saml-jackson), written only through
 * lib/sso/jackson-store.ts. The library hands us opaque records: `namespace` is e.g.
 * 'saml:config' or 'oauth:session', `key` is already a ripemd160 hex digest, and `value` is the
 * JSON text of the record, AES-256-GCM encrypted by the library (base64, with `iv` and `tag`)
 * when an encryption key is configured. Nothing else in the portal should read these tables.
 */
export const ssoStoreEntries = pgTable(
  'sso_store_entries',
  {
    namespace: text('namespace').notNull(),
    key: text('key').notNull(),
    value: text('value').notNull(),
    iv: text('iv'),
    tag: text('tag'),
    /** Insertion order; breaks ties between equal `created_at` when listing. */
    seq: bigint('seq', { mode: 'number' }).notNull().generatedAlwaysAsIdentity(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    modifiedAt: timestamp('modified_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    /** Set for TTL records (sessions, codes, tokens, traces); expired rows are invisible to reads. */
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    primaryKey({ name: 'sso_store_entries_pkey', columns: [t.namespace, t.key] }),
    // getAll: newest (or oldest) first within a namespace
    index('sso_store_entries_namespace_created_idx').on(t.namespace, t.createdAt, t.seq),
    // expiry sweep
    index('sso_store_entries_expires_idx').on(t.expiresAt).where(sql`${t.expiresAt} is not null`),
  ],
);

/**
 * Secondary indexes of the library's records: (index_name, index_value) -> key, e.g.
 * ('tenantProduct', digest(tenant:product)) -> connection client id. `index_value` arrives
 * digested too. Rows go with their entry (ON DELETE CASCADE); a put only ever adds rows.
 */
export const ssoStoreIndexes = pgTable(
  'sso_store_indexes',
  {
    namespace: text('namespace').notNull(),
    indexName: text('index_name').notNull(),
    indexValue: text('index_value').notNull(),
    key: text('key').notNull(),
    /** Insertion order of the index row; getByIndex lists by it (newest first by default). */
    id: bigint('id', { mode: 'number' }).notNull().generatedAlwaysAsIdentity(),
  },
  (t) => [
    primaryKey({ name: 'sso_store_indexes_pkey', columns: [t.namespace, t.indexName, t.indexValue, t.key] }),
    foreignKey({
      name: 'sso_store_indexes_entry_fk',
      columns: [t.namespace, t.key],
      foreignColumns: [ssoStoreEntries.namespace, ssoStoreEntries.key],
    }).onDelete('cascade'),
    // getByIndex / getCount: one lookup value, in insertion order
    index('sso_store_indexes_lookup_idx').on(t.namespace, t.indexName, t.indexValue, t.id),
    // cascade deletes and put's clean-up of an expired predecessor
    index('sso_store_indexes_entry_idx').on(t.namespace, t.key),
  ],
);

export type SsoStoreEntry = typeof ssoStoreEntries.$inferSelect;
export type SsoStoreIndex = typeof ssoStoreIndexes.$inferSelect;
