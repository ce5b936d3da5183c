import 'server-only';
import { and, asc, eq, gt, sql } from 'drizzle-orm';
import { changes, record } from '../audit/record';
import type { Ctx } from '../audit/types';
import { ceilingOf, holdsEveryScope, narrowest } from '../auth/permissions';
import { getDb } from '../db/client';
import { connections, type Connection, type IdpInfo } from '../db/schema';
import { env } from '../env';
import { AppError, conflict, forbidden, isUniqueViolation, notFound } from '../errors';
import { parseJson } from '../http/json';
import { assertPublicHost, checkBrowserUrl, checkUntrustedUrl, fetchUntrusted } from '../http/safe-fetch';
import { newId } from '../ids';
import { refuseShuttingOutAbove } from './console-access';
import { log } from '../log';
import { sso } from '../sso/jackson';
import { issuerProblem } from '../sso/oidc/claims';
import { inTenantScope, jacksonStoreKey } from '../sso/jackson-store';
import { removeLeftLibraryConnection, removeLibraryConnections } from '../sso/library-records';
import { buildIdpMetadataXml, MAX_METADATA_BYTES, parseIdpMetadata } from '../sso/saml/metadata';
import { oidcRedirectUrlOf, PRODUCT, sp } from '../sso/sp';
import type { ConnectionCreate, ConnectionPatch, ConnectionTestResult, ConnectionView } from '../validation/connections';
import { auditableUrl, connectionRefusalReason, recordRefusal } from './refusals';
import { refuseOverLimit } from './tenant-limits';
import { getTenant } from './tenants';
import { pageOf } from './page';
import { connectionLabel } from '../validation/connections';

/**
 * The OIDC redirect of a connection `ctx` makes: the portal's one for the operator (the API, its
 * console, the demo), the tenant's own for a tenant's admin. Every connection sharing one URI lets
 * an answer of one provider be taken for another's (IdP mix-up, RFC 9700 §4.4); the tenant's own
 * URI means a tenant's admin can never make the portal send another tenant's codes to their server.
 */
export const redirectFor = (ctx: Pick<Ctx, 'actor'>): 'shared' | 'tenant' => (ctx.actor.type === 'admin' ? 'tenant' : 'shared');

/** The OIDC redirect URI a connection made by `ctx` in this tenant gets (the console shows it before one exists). */
export const redirectUriFor = (ctx: Pick<Ctx, 'actor'>, tenantId: string) => oidcRedirectUrlOf({ tenantId, oidcRedirect: redirectFor(ctx) });

export function toConnectionView(c: Connection): ConnectionView {
  return {
    id: c.id,
    type: c.type,
    tenantId: c.tenantId,
    name: c.name,
    allowIdpInitiated: c.allowIdpInitiated,
    idp: {
      ...(c.idp.entityId ? { entityId: c.idp.entityId } : {}),
      ...(c.idp.ssoUrl ? { ssoUrl: c.idp.ssoUrl } : {}),
      ...(c.idp.issuer ? { issuer: c.idp.issuer } : {}),
      ...(c.idp.certificates
        ? { certificates: c.idp.certificates.map((x) => ({ fingerprintSha256: x.fingerprintSha256, notAfter: x.notAfter })) }
        : {}),
    },
    ...(c.type === 'oidc' ? { redirectUri: oidcRedirectUrlOf(c) } : {}),
    createdAt: c.createdAt.toISOString(),
    status: c.status,
    requireMfa: c.requireMfa,
    trustUnverifiedEmail: c.trustUnverifiedEmail,
    requireEncryptedAssertions: c.requireEncryptedAssertions,
    testedAt: c.testedAt?.toISOString() ?? null,
    lastTest: (c.lastTest as ConnectionTestResult | null) ?? null,
  };
}

/**
 * What the admin gave, read and checked, before anything is stored (the console shows it before
 * saving). `xml` is not the upload: it is metadata rebuilt from the checked values only, the one
 * document the SSO library is ever given.
 */
export async function previewSamlMetadata(input: { metadataXml?: string; metadataUrl?: string }) {
  const raw = input.metadataXml ?? (await fetchMetadata(input.metadataUrl!, 'metadataUrl'));
  const parsed = parseIdpMetadata(raw, input.metadataXml ? 'metadataXml' : 'metadataUrl', new Date(), { allowLoopbackHttp: env().loopbackHttp });
  const xml = buildIdpMetadataXml({ entityId: parsed.entityId, bindings: parsed.bindings, certificates: parsed.certificates });
  return { xml, parsed };
}

/**
 * The console's "Check metadata" for one tenant: previewSamlMetadata, with a refusal audited like
 * a refused create (it is the step of the console's create path that refuses bad metadata).
 */
export async function checkSamlMetadata(ctx: Ctx, tenantId: string, input: { metadataXml?: string; metadataUrl?: string }) {
  if (!input.metadataXml && !input.metadataUrl) return previewSamlMetadata(input); // nothing given: a form error, not a refusal
  try {
    return await previewSamlMetadata(input);
  } catch (err) {
    await auditConnectionRefusal(ctx, tenantId, { type: 'saml', ...input }, err, 'check');
    throw err;
  }
}

/**
 * A refused IdP input (bad metadata, a URL refused or unfetchable, a bad discovery document) is
 * audited as `connection.create_refused` with its typed reason, in its own transaction; other
 * errors (404, 409, 500) are not refusals of input and write nothing. The metadata itself is never
 * written to the audit log, and a URL only without credentials, query string or fragment.
 */
async function auditConnectionRefusal(
  ctx: Ctx,
  tenantId: string,
  input: { type: 'saml' | 'oidc'; metadataUrl?: string; discoveryUrl?: string },
  err: unknown,
  step: 'check' | 'create' = 'create',
): Promise<void> {
  const reason = connectionRefusalReason(err);
  if (!reason) return;
  const metadataUrl = auditableUrl(input.metadataUrl);
  const discoveryUrl = auditableUrl(input.discoveryUrl);
  await recordRefusal(ctx, {
    tenantId,
    action: 'connection.create_refused',
    reason,
    details: {
      type: input.type,
      ...(metadataUrl ? { metadataUrl } : {}),
      ...(discoveryUrl ? { discoveryUrl } : {}),
      ...(step === 'check' ? { step } : {}),
    },
  });
}

const fetchMetadata = (url: string, path: string) =>
  fetchUntrusted(url, { path, allowPrivate: env().ALLOW_PRIVATE_URLS, maxBytes: MAX_METADATA_BYTES });

type OidcDiscovery = {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  userinfo_endpoint?: string;
} & Record<string, unknown>;

const discoveryError = (message: string) => new AppError(400, 'invalid_discovery', message, [{ path: 'discoveryUrl', message }]);

/** Discovery fields kept besides the endpoints: lists of short names, nothing else. */
const DISCOVERY_LISTS = [
  'response_types_supported',
  'subject_types_supported',
  'id_token_signing_alg_values_supported',
  'scopes_supported',
  'claims_supported',
  'token_endpoint_auth_methods_supported',
  'code_challenge_methods_supported',
  'grant_types_supported',
  'acr_values_supported',
] as const;

/**
 * Fetches and checks an OIDC discovery document. Every endpoint obeys the rule for URLs from
 * outside: the authorization endpoint (the browser goes there) is https (http only on loopback
 * in development); the token, userinfo and JWKS endpoints (the portal calls them) are also
 * public addresses unless ALLOW_PRIVATE_URLS. What the connection stores is rebuilt from the
 * checked values only (normalised URLs, lists of short names), so nothing unchecked from the
 * document reaches the SSO library, and the endpoints cannot change behind the portal's back.
 */
async function checkDiscovery(url: string): Promise<OidcDiscovery> {
  const { ALLOW_PRIVATE_URLS: allowPrivate, loopbackHttp } = env();
  const text = await fetchUntrusted(url, { path: 'discoveryUrl', allowPrivate, maxBytes: 256 * 1024 });
  let doc: Record<string, unknown>;
  try {
    doc = parseJson(text) as Record<string, unknown>;
  } catch {
    throw discoveryError('discovery document is not JSON');
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw discoveryError('discovery document is not a JSON object');
  if (typeof doc.issuer !== 'string' || doc.issuer.length > 2048) throw discoveryError('not an OpenID Connect discovery document (no issuer)');
  const checked: Record<string, unknown> = {};
  try {
    checkBrowserUrl(doc.issuer, { path: 'issuer', allowLoopbackHttp: loopbackHttp });
  } catch (e) {
    throw discoveryError(`issuer ${(e as Error).message}`);
  }
  // The issuer is where the document is (OpenID Connect Discovery §4.3; see issuerProblem).
  const wrongIssuer = issuerProblem(url, doc.issuer);
  if (wrongIssuer) throw discoveryError(wrongIssuer);
  checked.issuer = doc.issuer; // kept exactly as given: ID tokens' iss must equal it
  // The provider sends `iss` with every answer: then an answer without it is refused too.
  if (doc.authorization_response_iss_parameter_supported === true) checked.authorization_response_iss_parameter_supported = true;
  for (const key of ['authorization_endpoint', 'token_endpoint', 'jwks_uri', 'userinfo_endpoint'] as const) {
    const v = doc[key];
    if (v === undefined && key === 'userinfo_endpoint') continue;
    if (typeof v !== 'string') throw discoveryError(`discovery document has no ${key}`);
    try {
      const u =
        key === 'authorization_endpoint'
          ? checkBrowserUrl(v, { path: key, allowLoopbackHttp: loopbackHttp })
          : checkUntrustedUrl(v, { path: key, allowPrivate });
      if (key !== 'authorization_endpoint' && !allowPrivate) await assertPublicHost(u.hostname, key);
      checked[key] = u.href;
    } catch (e) {
      throw discoveryError(`${key} ${(e as Error).message}`);
    }
  }
  for (const key of DISCOVERY_LISTS) {
    const v = doc[key];
    if (Array.isArray(v) && v.length <= 100 && v.every((x) => typeof x === 'string' && x.length <= 200)) checked[key] = v;
  }
  return checked as OidcDiscovery;
}

function libraryError(err: unknown, path: string): never {
  const e = err as { message?: string; statusCode?: number };
  const message = e?.message ?? 'refused by the SSO library';
  // The library reports some refusals (an entity ID another tenant uses) as 500s; read the message first.
  if (/already|exists|duplicate/i.test(message)) throw new AppError(409, 'conflict', message, [{ path, message }]);
  if (e?.statusCode && e.statusCode < 500) throw new AppError(400, 'invalid_connection', message, [{ path, message }]);
  throw err;
}

/** An identifier as an error message shows it (IdPs' identifiers are outside input: at most 200 characters). */
const shown = (k: string) => JSON.stringify(k.length > 200 ? `${k.slice(0, 200)}…` : k);

/**
 * The SSO library files SAML and OIDC records under one key made of the tenant and the IdP's
 * entity ID or the OIDC client ID (both public: in the IdP's metadata, in every sign-in's address),
 * and a create with a key it holds overwrites that record in place (provider, endpoints, keys).
 * Refuses (409 on `path`) a key that a connection or the library holds already: this covers a
 * connection of the organisation with the same entity ID or client ID.
 */
export async function refuseTakenLibraryKey(tenantId: string, idpKey: string, path: string): Promise<void> {
  const clientId = jacksonStoreKey(`${tenantId}:${PRODUCT}:${idpKey}`); // the library's clientID
  const refused = () => conflict(path, `another connection of this organisation already uses the identity provider identifier ${shown(idpKey)} (an entity ID or a client ID)`);
  if (await findConnectionByClientId(clientId)) throw refused();
  // The library's record without a portal connection: a create in progress, or what a delete or
  // create that failed halfway left behind (removed once settled, library-records.ts).
  if (!(await removeLeftLibraryConnection(clientId))) throw refused();
}

/**
 * Creates a SAML or OIDC connection: the SSO library's record (metadata, encrypted secret) and
 * the portal's row with its audit event. Should the portal's transaction fail, the library's
 * record is removed again.
 */
export async function createConnection(ctx: Ctx, tenantId: string, input: ConnectionCreate): Promise<ConnectionView> {
  const tenant = await getTenant(tenantId);
  const { jackson } = await sso();
  const s = sp();
  const common = { defaultRedirectUrl: s.callbackUrl, redirectUrl: JSON.stringify([s.callbackUrl]), tenant: tenant.id, product: PRODUCT };
  let clientId: string;
  let clientSecret: string;
  let idp: IdpInfo;
  try {
    if (input.type === 'saml') {
      const { xml, parsed } = await previewSamlMetadata(input);
      await refuseTakenLibraryKey(tenant.id, parsed.entityId, input.metadataXml ? 'metadataXml' : 'metadataUrl');
      // Another tenant may have a connection to the same IdP entity ID (lib/sso/jackson-store.ts).
      const rec = await inTenantScope(tenant.id, PRODUCT, () => jackson.connectionAPIController.createSAMLConnection({ ...common, rawMetadata: xml, name: input.name } as never))
        .catch((e) => libraryError(e, 'metadataXml'));
      clientId = rec.clientID;
      clientSecret = rec.clientSecret;
      idp = { entityId: parsed.entityId, ssoUrl: parsed.ssoUrl, certificates: parsed.certificates, bindings: parsed.bindings };
    } else {
      const discovery = await checkDiscovery(input.discoveryUrl);
      await refuseTakenLibraryKey(tenant.id, input.clientId, 'clientId');
      const rec = await jackson.connectionAPIController
        .createOIDCConnection({
          ...common,
          oidcMetadata: discovery,
          oidcClientId: input.clientId,
          oidcClientSecret: input.clientSecret,
          name: input.name,
        } as never)
        .catch((e) => libraryError(e, 'discoveryUrl'));
      clientId = rec.clientID;
      clientSecret = rec.clientSecret;
      idp = { issuer: discovery.issuer };
    }
  } catch (err) {
    await auditConnectionRefusal(ctx, tenant.id, input, err);
    throw err;
  }
  void clientSecret; // the library keeps it (encrypted); sign-in uses PKCE instead
  try {
    const db = await getDb();
    const row = await db.transaction(async (tx) => {
      await refuseOverLimit(tx, tenant.id, 'connections', 'type');
      const [c] = await tx
        .insert(connections)
        .values({
          id: newId('conn'),
          tenantId: tenant.id,
          type: input.type,
          name: input.name ?? null,
          clientId,
          allowIdpInitiated: input.allowIdpInitiated ?? false,
          trustUnverifiedEmail: input.type === 'oidc' ? (input.trustUnverifiedEmail ?? false) : false,
          requireEncryptedAssertions: input.type === 'saml' ? (input.requireEncryptedAssertions ?? false) : false,
          oidcRedirect: input.type === 'oidc' ? redirectFor(ctx) : 'shared',
          // The API's default stays `active` (a connection created there serves sign-in at once);
          // the console creates drafts, which serve only test sign-ins until activated.
          status: input.status ?? 'active',
          idp,
          metadataUrl: input.type === 'saml' ? (input.metadataUrl ?? null) : input.discoveryUrl,
          scopeCeiling: ceilingOf(ctx),
        })
        .returning();
      await record(tx, ctx, {
        tenantId: tenant.id,
        action: 'connection.created',
        target: { type: 'connection', id: c.id, label: connectionLabel({ ...c, idp }) },
        details: { after: { type: c.type, status: c.status, allowIdpInitiated: c.allowIdpInitiated, idp: toConnectionView(c).idp } },
      });
      return c;
    });
    return toConnectionView(row);
  } catch (err) {
    // A simultaneous create of the same IdP may have won: its library record can be the very
    // one this request wrote (same tenant, same client ID); then it is not ours to remove.
    const winner = await findConnectionByClientId(clientId);
    if (!winner) {
      await jackson.connectionAPIController.deleteConnections({ clientID: clientId, clientSecret } as never).catch((e) =>
        log('error', 'could not remove the SSO library record of a failed connection', { clientId, err: e }),
      );
    }
    if (isUniqueViolation(err)) {
      const message = `a connection for this identity provider already exists`;
      throw new AppError(409, 'conflict', message, [{ path: input.type === 'saml' ? (input.metadataXml ? 'metadataXml' : 'metadataUrl') : 'discoveryUrl', message }]);
    }
    throw err;
  }
}

export async function listConnections(tenantId: string, page: { limit: number; cursor?: string } = { limit: 200 }) {
  const db = await getDb();
  const rows = await db
    .select()
    .from(connections)
    .where(and(eq(connections.tenantId, tenantId), page.cursor ? gt(connections.id, page.cursor) : undefined))
    .orderBy(asc(connections.id))
    .limit(page.limit + 1);
  const { page: data, nextCursor } = pageOf(rows, page.limit);
  return { data, nextCursor };
}

export async function getConnection(tenantId: string, id: string): Promise<Connection> {
  const db = await getDb();
  const [c] = await db.select().from(connections).where(and(eq(connections.tenantId, tenantId), eq(connections.id, id)));
  if (!c) throw notFound('Connection');
  return c;
}

/** Every connection with this IdP entity ID, across tenants (tenants of one IdP may share it), oldest first. */
export async function connectionsWithEntityId(entityId: string): Promise<Connection[]> {
  const db = await getDb();
  return db.select().from(connections).where(sql`${connections.idp}->>'entityId' = ${entityId}`).orderBy(connections.createdAt).limit(100);
}

async function findConnectionByClientId(clientId: string): Promise<Connection | null> {
  const db = await getDb();
  const [c] = await db.select().from(connections).where(eq(connections.clientId, clientId));
  return c ?? null;
}

export async function findConnectionById(id: string): Promise<Connection | null> {
  const db = await getDb();
  const [c] = await db.select().from(connections).where(eq(connections.id, id));
  return c ?? null;
}

/** Deletes the portal's row (with its audit event) and then the SSO library's record. */
export async function deleteConnection(ctx: Ctx, tenantId: string, id: string): Promise<void> {
  const db = await getDb();
  const c = await db.transaction(async (tx) => {
    const [row] = await tx.delete(connections).where(and(eq(connections.tenantId, tenantId), eq(connections.id, id))).returning();
    if (!row) throw notFound('Connection');
    // An active connection's people sign in no more: not while admins above a narrower one are active.
    if (row.status === 'active') await refuseShuttingOutAbove(tx, ctx, tenantId, 'connection');
    await record(tx, ctx, {
      tenantId,
      action: 'connection.deleted',
      target: { type: 'connection', id, label: connectionLabel(row) },
      details: { before: { type: row.type, idp: toConnectionView(row).idp } },
    });
    return row;
  });
  await removeLibraryConnections([c.clientId]);
}

// ---------------------------------------------------------------------------------------------
// Status lifecycle (draft → tested → active) and settings
// ---------------------------------------------------------------------------------------------

const settingsOf = (c: Connection) => ({
  name: c.name,
  allowIdpInitiated: c.allowIdpInitiated,
  requireMfa: c.requireMfa,
  trustUnverifiedEmail: c.trustUnverifiedEmail,
  requireEncryptedAssertions: c.requireEncryptedAssertions,
  status: c.status,
  scopeCeiling: c.scopeCeiling,
});

/**
 * Changes a connection's name, IdP-initiated switch, MFA requirement, acceptance of unverified
 * emails (OIDC only) or status, with one audit
 * event (`connection.activated` when it becomes active, else `connection.updated`). A draft that
 * never passed a test is activated only with `force` (the console asks to confirm).
 * Starting to trust unverified emails widens whom the IdP's word reaches: the connection keeps the
 * narrower of its limit and the changer's (lib/auth/permissions.ts `ceilingOf`); only
 * {@link liftConnectionLimit} lifts one.
 */
export async function updateConnection(ctx: Ctx, tenantId: string, id: string, patch: ConnectionPatch): Promise<ConnectionView> {
  const db = await getDb();
  const row = await db.transaction(async (tx) => {
    const [before] = await tx
      .select()
      .from(connections)
      .where(and(eq(connections.tenantId, tenantId), eq(connections.id, id)))
      .for('update');
    if (!before) throw notFound('Connection');
    const next: Partial<ReturnType<typeof settingsOf>> = {};
    if (patch.name !== undefined) next.name = patch.name;
    if (patch.allowIdpInitiated !== undefined) next.allowIdpInitiated = patch.allowIdpInitiated;
    if (patch.requireMfa !== undefined) next.requireMfa = patch.requireMfa;
    if (patch.trustUnverifiedEmail !== undefined && patch.trustUnverifiedEmail !== before.trustUnverifiedEmail) {
      if (before.type !== 'oidc') {
        const message = 'applies to OIDC connections only (a SAML IdP’s signed assertion vouches for the email)';
        throw new AppError(400, 'invalid_input', message, [{ path: 'trustUnverifiedEmail', message }]);
      }
      next.trustUnverifiedEmail = patch.trustUnverifiedEmail;
    }
    if (patch.requireEncryptedAssertions !== undefined && patch.requireEncryptedAssertions !== before.requireEncryptedAssertions) {
      if (before.type !== 'saml') {
        const message = 'applies to SAML connections only';
        throw new AppError(400, 'invalid_input', message, [{ path: 'requireEncryptedAssertions', message }]);
      }
      next.requireEncryptedAssertions = patch.requireEncryptedAssertions;
    }
    if (patch.status !== undefined && patch.status !== before.status) {
      if (patch.status === 'active' && before.status === 'draft' && !patch.force) {
        const message = 'this connection has not passed a test sign-in: test it first, or activate it without testing (force: true)';
        throw new AppError(409, 'not_tested', `Cannot activate: ${message}`, [{ path: 'force', message }]);
      }
      next.status = patch.status;
    }
    if (next.trustUnverifiedEmail === true) next.scopeCeiling = narrowest(before.scopeCeiling, ceilingOf(ctx));
    // Requirements that refuse sign-ins, and deactivation, could shut out admins above a narrower one.
    const tightened = [
      next.requireMfa === true && !before.requireMfa && 'requireMfa',
      next.requireEncryptedAssertions === true && !before.requireEncryptedAssertions && 'requireEncryptedAssertions',
      next.trustUnverifiedEmail === false && before.trustUnverifiedEmail && 'trustUnverifiedEmail',
      next.status !== undefined && before.status === 'active' && next.status !== 'active' && 'status',
    ].find((x): x is string => !!x);
    if (tightened) await refuseShuttingOutAbove(tx, ctx, tenantId, tightened);
    const diff = changes(settingsOf(before), next);
    if (!diff) return before;
    const [after] = await tx
      .update(connections)
      .set(next)
      .where(and(eq(connections.tenantId, tenantId), eq(connections.id, id)))
      .returning();
    const activated = next.status === 'active';
    await record(tx, ctx, {
      tenantId,
      action: activated ? 'connection.activated' : 'connection.updated',
      target: { type: 'connection', id, label: connectionLabel(after) },
      details: { ...diff, ...(activated ? { untested: before.status === 'draft' } : {}) },
    });
    return after;
  });
  return toConnectionView(row);
}

/**
 * Lifts a connection's limit (its ceiling, lib/auth/permissions.ts `ceilingOf`): from now on a
 * sign-in through it opens what the user's roles open, and it signs in users holding any section.
 * Only the operator, the API or an admin holding every section may: they vouch for the IdP.
 * Sessions already started keep their limit until the next sign-in.
 */
export async function liftConnectionLimit(ctx: Ctx, tenantId: string, id: string): Promise<ConnectionView> {
  if (!holdsEveryScope(ctx.consoleScopes)) throw forbidden('connectionId', 'only the operator or an admin holding every section of this console may lift a connection’s limit');
  const db = await getDb();
  const row = await db.transaction(async (tx) => {
    const [before] = await tx.select().from(connections).where(and(eq(connections.tenantId, tenantId), eq(connections.id, id))).for('update');
    if (!before) throw notFound('Connection');
    if (!before.scopeCeiling) return before;
    const [after] = await tx.update(connections).set({ scopeCeiling: null }).where(eq(connections.id, id)).returning();
    await record(tx, ctx, {
      tenantId,
      action: 'connection.limit_lifted',
      target: { type: 'connection', id, label: connectionLabel(after) },
      details: { before: { scopeCeiling: before.scopeCeiling }, after: { scopeCeiling: null } },
    });
    return after;
  });
  return toConnectionView(row);
}

/**
 * Stores a test sign-in's result on the connection with its `connection.tested` event. A success
 * moves a draft to `tested`; a failure moves a `tested` connection back to `draft` (its status
 * says whether the last test passed). An active connection stays active either way.
 */
export async function recordConnectionTest(ctx: Ctx, tenantId: string, id: string, result: ConnectionTestResult): Promise<Connection> {
  const db = await getDb();
  return db.transaction(async (tx) => {
    const [before] = await tx
      .select()
      .from(connections)
      .where(and(eq(connections.tenantId, tenantId), eq(connections.id, id)))
      .for('update');
    if (!before) throw notFound('Connection');
    const ok = result.outcome === 'success';
    const status = ok && before.status === 'draft' ? 'tested' : !ok && before.status === 'tested' ? 'draft' : before.status;
    const [after] = await tx
      .update(connections)
      .set({ lastTest: result, status, ...(ok ? { testedAt: new Date(result.at) } : {}) })
      .where(and(eq(connections.tenantId, tenantId), eq(connections.id, id)))
      .returning();
    await record(tx, ctx, {
      tenantId,
      action: 'connection.tested',
      outcome: result.outcome,
      reason: result.reason ?? null,
      target: { type: 'connection', id, label: connectionLabel(after) },
      details: {
        ...(status !== before.status ? { before: { status: before.status }, after: { status } } : {}),
        email: result.email ?? null,
        roles: result.roles ?? null,
      },
    });
    return after;
  });
}
