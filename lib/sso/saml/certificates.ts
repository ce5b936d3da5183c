import { env } from '../../env';
import { checkBrowserUrl } from '../../http/safe-fetch';
import 'server-only';
import { X509Certificate } from 'node:crypto';
import { and, asc, eq, gt, sql } from 'drizzle-orm';
import { changes, record } from '../../audit/record';
import { SYSTEM, type Ctx } from '../../audit/types';
import { ceilingOf, narrowest } from '../../auth/permissions';
import { findConnectionById, getConnection, toConnectionView } from '../../dal/connections';
import { refuseShuttingOutAbove } from '../../dal/console-access';
import { getDb, type Db } from '../../db/client';
import { connections, type Connection, type IdpCertificate, type IdpInfo } from '../../db/schema';
import { AppError, badRequest, conflict, notFound } from '../../errors';
import { log } from '../../log';
import type { ConnectionView } from '../../validation/connections';
import { fingerprintSchema, type CertificateAdd } from '../../validation/certificates';
import { diffIdp, expiryAnnouncement, warnedDaysAfterChange } from './certificate-expiry';
import { sso } from '../jackson';
import { buildIdpMetadataXml, fingerprint, MAX_CERTIFICATES, toPem, type IdpBindings } from './metadata';
import { connectionLabel } from '../../validation/connections';

/**
 * IdP signing certificates of SAML connections: rollover (a second certificate next to the
 * first, the old one removed later) and the expiry announcements of the scheduled job.
 *
 * Two checks verify every response's signature: the portal's own (lib/sso/saml/checks.ts, fed
 * with `connections.idp.certificates[].pem`) and the SSO library's (its record's
 * `idpMetadata.publicKey`: the certificates of the metadata it was given, comma-joined, each
 * tried in turn). Both must accept, so every certificate change is written to both: the library
 * gets metadata written from the portal's own state (buildIdpMetadataXml) through its ordinary
 * update call, then the portal's row changes with its audit event; if that fails, the library
 * record is set back from the row.
 */

export type PemCertificate = IdpCertificate & { pem: string };

const certError = (path: string, message: string) => badRequest(message, [{ path, message }]);

/**
 * Reads one pasted certificate: PEM (one CERTIFICATE block) or bare base64 DER. Refused: a
 * private key, several certificates, anything that is not X.509, an expired certificate, and
 * keys the signature check cannot use or that are too weak (RSA under 2048 bits, EC curves
 * other than P-256/384/521). The certificate's own signature algorithm is not judged: the key
 * is trusted as given (pinned), nobody verifies the certificate's signature.
 */
export function readCertificatePem(text: string, path = 'certificate', now = new Date()): PemCertificate {
  if (/PRIVATE KEY/.test(text)) throw certError(path, 'this is a private key: paste the IdP’s certificate only (and keep the key secret)');
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length > 1) throw certError(path, 'give exactly one certificate');
  let b64: string;
  if (blocks.length === 1) {
    b64 = blocks[0].replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  } else if (/-----BEGIN /.test(text)) {
    throw certError(path, 'not a certificate: expected -----BEGIN CERTIFICATE-----');
  } else {
    b64 = text.replace(/\s+/g, '');
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw certError(path, 'not a PEM certificate (-----BEGIN CERTIFICATE----- …)');
  let x: X509Certificate;
  try {
    x = new X509Certificate(Buffer.from(b64, 'base64'));
  } catch {
    throw certError(path, 'not an X.509 certificate');
  }
  const notAfter = new Date(x.validTo);
  if (!(notAfter > now)) throw certError(path, `the certificate expired on ${notAfter.toISOString().slice(0, 10)}`);
  const key = x.publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') {
    if ((details.modulusLength ?? 0) < 2048) throw certError(path, `the RSA key has ${details.modulusLength} bits; at least 2048 are required`);
  } else if (key.asymmetricKeyType === 'ec') {
    if (!['prime256v1', 'secp384r1', 'secp521r1'].includes(details.namedCurve ?? '')) {
      throw certError(path, `the EC curve ${details.namedCurve ?? '(unknown)'} is not supported; use P-256, P-384 or P-521`);
    }
  } else {
    throw certError(path, `${key.asymmetricKeyType ?? 'this'} keys are not supported for SAML signatures; use RSA or EC`);
  }
  return {
    fingerprintSha256: fingerprint(x),
    notBefore: new Date(x.validFrom).toISOString(),
    notAfter: notAfter.toISOString(),
    subject: x.subject.replace(/\n/g, ', '),
    pem: toPem(b64),
  };
}

/** The connection's certificates with their PEM (what the portal's signature check uses). */
export function pemCertificates(idp: IdpInfo): PemCertificate[] {
  return (idp.certificates ?? []).filter((c): c is PemCertificate => typeof (c as PemCertificate).pem === 'string');
}

type LibraryRecord = {
  clientID: string;
  clientSecret: string;
  tenant: string;
  product: string;
  idpMetadata: { entityID: string; sso?: { redirectUrl?: string; postUrl?: string }; slo?: { redirectUrl?: string; postUrl?: string }; publicKey?: string };
};

export async function libraryRecord(clientId: string): Promise<LibraryRecord | null> {
  const { jackson } = await sso();
  const [rec] = (await jackson.connectionAPIController.getConnections({ clientID: clientId } as never)) as unknown as LibraryRecord[];
  return rec ?? null;
}

/** The library record's service locations, each only if it passes the rule for browser-facing URLs. */
export const bindingsOf = (rec: LibraryRecord): IdpBindings => {
  const checked = (u: string | undefined) => {
    if (!u) return undefined;
    try {
      return checkBrowserUrl(u, { path: 'location', allowLoopbackHttp: env().loopbackHttp }).href;
    } catch {
      return undefined;
    }
  };
  return {
    ssoRedirectUrl: checked(rec.idpMetadata.sso?.redirectUrl),
    ssoPostUrl: checked(rec.idpMetadata.sso?.postUrl),
    sloRedirectUrl: checked(rec.idpMetadata.slo?.redirectUrl),
    sloPostUrl: checked(rec.idpMetadata.slo?.postUrl),
  };
};

/**
 * Sets the SSO library's record of a connection (same entity ID) to trust exactly `certificates`,
 * keeping its service locations unless `bindings` are given.
 */
export async function writeLibraryIdp(clientId: string, idp: { certificates: { pem: string }[]; bindings?: IdpBindings }): Promise<void> {
  const rec = await libraryRecord(clientId);
  if (!rec) throw new Error('the SSO library has no record of this connection');
  const { jackson } = await sso();
  const rawMetadata = buildIdpMetadataXml({ entityId: rec.idpMetadata.entityID, bindings: idp.bindings ?? bindingsOf(rec), certificates: idp.certificates });
  await jackson.connectionAPIController.updateSAMLConnection({
    clientID: rec.clientID,
    clientSecret: rec.clientSecret,
    tenant: rec.tenant,
    product: rec.product,
    rawMetadata,
  } as never);
}

/** Sets the library's certificates back to what the portal's row says (after a failed change). */
export async function resyncLibrary(connectionId: string): Promise<void> {
  try {
    const row = await findConnectionById(connectionId);
    if (row?.type === 'saml') await writeLibraryIdp(row.clientId, { certificates: pemCertificates(row.idp) });
  } catch (err) {
    log('error', 'could not set the SSO library record back to the portal’s certificates', { connectionId, err });
  }
}

/**
 * A SAML connection's limit after `ctx` changes how its IdP is trusted (`next`): a new signing
 * certificate or entity ID could sign anyone in, so the connection keeps the narrower of its limit
 * and theirs (lib/auth/permissions.ts `ceilingOf`). A removed certificate or a moved SSO URL lets
 * nobody new in: the limit stays. Certificates added by hand and approved metadata alike.
 */
export function limitAfterIdpChange(ctx: Ctx, c: Pick<Connection, 'idp' | 'scopeCeiling'>, next: IdpInfo): string[] | null {
  const diff = diffIdp(c.idp, next);
  return diff?.entityId || diff?.certificates?.added.length ? narrowest(c.scopeCeiling, ceilingOf(ctx)) : c.scopeCeiling;
}

const certificateList = (idp: IdpInfo) => (idp.certificates ?? []).map((c) => ({ fingerprintSha256: c.fingerprintSha256, notAfter: c.notAfter }));

/** Library first, then the row (only if nobody changed it meanwhile) with its audit event. */
async function applyCertificates(
  ctx: Ctx,
  c: Connection,
  next: PemCertificate[],
  event: { action: string; certificate: PemCertificate },
): Promise<ConnectionView> {
  await writeLibraryIdp(c.clientId, { certificates: next });
  try {
    const db = await getDb();
    const row = await db.transaction(async (tx) => {
      const idp: IdpInfo = { ...c.idp, certificates: next };
      const [row] = await tx
        .update(connections)
        .set({
          idp,
          certWarnedDays: warnedDaysAfterChange(c.idp, idp, c.certWarnedDays),
          scopeCeiling: limitAfterIdpChange(ctx, c, idp),
        })
        .where(and(eq(connections.tenantId, c.tenantId), eq(connections.id, c.id), sql`${connections.idp} = ${JSON.stringify(c.idp)}::jsonb`))
        .returning();
      if (!row) throw new AppError(409, 'conflict', 'the connection changed meanwhile; reload it and try again');
      const { pem: _pem, ...certificate } = event.certificate;
      await record(tx, ctx, {
        tenantId: c.tenantId,
        action: event.action,
        target: { type: 'connection', id: c.id, label: connectionLabel(c) },
        details: { certificate, ...changes({ certificates: certificateList(c.idp) }, { certificates: certificateList(idp) }) },
      });
      return row;
    });
    return toConnectionView(row);
  } catch (err) {
    await resyncLibrary(c.id);
    throw err;
  }
}

function samlOnly(c: Connection) {
  if (c.type !== 'saml') {
    throw certError('connectionId', 'signing certificates belong to SAML connections; this is an OpenID Connect connection');
  }
}

/** Adds a signing certificate (rollover): signatures by any of the connection's certificates are accepted. */
export async function addCertificate(ctx: Ctx, tenantId: string, connectionId: string, input: CertificateAdd): Promise<ConnectionView> {
  const c = await getConnection(tenantId, connectionId);
  samlOnly(c);
  const cert = readCertificatePem(input.certificate);
  const current = pemCertificates(c.idp);
  if (current.some((x) => x.fingerprintSha256 === cert.fingerprintSha256)) {
    throw conflict('certificate', 'this certificate is already trusted for this connection');
  }
  if (current.length >= MAX_CERTIFICATES) {
    throw certError('certificate', `a connection holds at most ${MAX_CERTIFICATES} certificates; remove an old one first`);
  }
  return applyCertificates(ctx, c, [...current, cert], { action: 'connection.certificate_added', certificate: cert });
}

const bare = (fp: string) => fp.replace(/:/g, '').toLowerCase();

/** Removes a signing certificate; the last one cannot go (the connection would accept nobody). */
export async function removeCertificate(ctx: Ctx, tenantId: string, connectionId: string, fingerprintSha256: string): Promise<ConnectionView> {
  const fp = fingerprintSchema.safeParse(fingerprintSha256);
  if (!fp.success) throw certError('fingerprintSha256', fp.error.issues[0].message);
  const c = await getConnection(tenantId, connectionId);
  samlOnly(c);
  const current = pemCertificates(c.idp);
  const cert = current.find((x) => bare(x.fingerprintSha256) === fp.data);
  if (!cert) throw notFound('Certificate');
  if (current.length === 1) {
    throw certError('fingerprintSha256', 'this is the connection’s only signing certificate; add its successor before removing it');
  }
  // The IdP may still sign with it: on an active connection, not while admins above a narrower one are active.
  if (c.status === 'active') {
    const db = await getDb();
    await db.transaction((tx) => refuseShuttingOutAbove(tx, ctx, tenantId, 'fingerprintSha256'));
  }
  return applyCertificates(
    ctx,
    c,
    current.filter((x) => x !== cert),
    { action: 'connection.certificate_removed', certificate: cert },
  );
}

/**
 * The expiry job: for every SAML connection whose soonest certificate reached a new threshold
 * (30, 14, 7 days, expired), one `connection.certificate_expiring` event, announced once
 * (`certWarnedDays`); the row update is conditional, so a concurrent certificate change wins.
 */
export async function announceExpiringCertificates(
  db: Db,
  now = new Date(),
  only?: { tenantId: string },
): Promise<{ checked: number; announced: number }> {
  let checked = 0;
  let announced = 0;
  let cursor = '';
  for (;;) {
    const rows = await db
      .select({ id: connections.id, tenantId: connections.tenantId, name: connections.name, type: connections.type, idp: connections.idp, certWarnedDays: connections.certWarnedDays })
      .from(connections)
      .where(and(eq(connections.type, 'saml'), gt(connections.id, cursor), only ? eq(connections.tenantId, only.tenantId) : undefined))
      .orderBy(asc(connections.id))
      .limit(500);
    if (!rows.length) break;
    cursor = rows.at(-1)!.id;
    for (const r of rows) {
      checked++;
      const { announce, warnedDays } = expiryAnnouncement(r.idp, r.certWarnedDays, now);
      if (warnedDays === r.certWarnedDays && !announce) continue;
      const same = r.certWarnedDays === null ? sql`${connections.certWarnedDays} is null` : eq(connections.certWarnedDays, r.certWarnedDays);
      await db.transaction(async (tx) => {
        const [row] = await tx
          .update(connections)
          .set({ certWarnedDays: warnedDays })
          .where(and(eq(connections.id, r.id), same, sql`${connections.idp} = ${JSON.stringify(r.idp)}::jsonb`))
          .returning({ id: connections.id });
        if (!row || !announce) return;
        announced++;
        await record(tx, SYSTEM, {
          tenantId: r.tenantId,
          action: 'connection.certificate_expiring',
          target: { type: 'connection', id: r.id, label: connectionLabel(r) },
          details: {
            fingerprint: announce.fingerprintSha256,
            notAfter: announce.notAfter,
            daysLeft: announce.daysLeft,
            threshold: announce.threshold,
            expired: announce.threshold === 0,
          },
        });
      });
    }
    if (rows.length < 500) break;
  }
  return { checked, announced };
}
