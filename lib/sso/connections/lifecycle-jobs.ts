import 'server-only';
import type { Job } from '../../jobs/scheduler';
import { announceExpiringCertificates } from '../saml/certificates';
import { refreshDueMetadata } from '../saml/metadata-refresh';

/** Announces IdP signing certificates reaching 30/14/7 days before expiry, and expiry (connection.certificate_expiring). */
export const certificatesJob: Job = {
  name: 'certificates',
  everyMs: 60 * 60 * 1000,
  run: (db) => announceExpiringCertificates(db),
};

/** Re-reads metadata URLs due for their 6-hourly check; differences wait for an admin's approval. */
export const metadataRefreshJob: Job = {
  name: 'metadata-refresh',
  everyMs: 15 * 60 * 1000,
  run: (db) => refreshDueMetadata(db),
};
