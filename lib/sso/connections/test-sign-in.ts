import { htmlResponse } from '../../http/html';
import 'server-only';
import { createHash, randomBytes } from 'node:crypto';
import { DOMParser, type Element as XmlElement } from '@xmldom/xmldom';
import { and, eq, gt, sql } from 'drizzle-orm';
import type { Actor, Ctx } from '../../audit/types';
import { getDb } from '../../db/client';
import { ssoFlows, users, type Connection, type User } from '../../db/schema';
import { getConnection, recordConnectionTest } from '../../dal/connections';
import { findTenant, type TenantWithDomains } from '../../dal/tenants';
import { env } from '../../env';
import { log } from '../../log';
import { mappingInput, type IdpProfile } from '../../provisioning/jit';
import { MappingBudgetExceeded, evaluate } from '../../provisioning/mapping';
import { testVerdict, type ConnectionTestResult, type TestVerdict } from '../../validation/connections';
import { LOGIN_FAILURES, type LoginFailure } from '../failures';
import { detectProvider, spValuesFrom } from './guides';
import { hintFor } from './hints';
import { oidcRedirectUrlOf, sp } from '../sp';

/**
 * Connection tests: an admin runs the real SP-initiated sign-in against a connection (draft,
 * tested or active), and instead of signing anyone in the ACS / callback stores what the IdP
 * sent and what the portal would make of it on the connection (`lastTest`), with a
 * `connection.tested` event, and answers a result page.
 *
 * A test is started either by the admin's console session (POST from the connection's page),
 * or through a link from the operator API: single-use (its row is deleted when opened) and
 * valid for 10 minutes, because the API caller has no browser session to bind it to. Once
 * opened, the browser is bound to the flow by the same signed state/PKCE cookie as a sign-in.
 */

export const TEST_LINK_TTL_SECONDS = 600;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Flow detail of a test: who started it, and (after the ACS) the SAML assertion as read. */
export type TestFlowDetail = { actor: Actor; saml?: SamlTestDetail };
export type SamlTestDetail = {
  issuer: string;
  nameId: string;
  nameIdFormat: string | null;
  authnContextClassRef: string | null;
  sessionNotOnOrAfter: string | null;
  attributes: Record<string, string[]>;
};

/** A single-use link that starts a test sign-in of this connection in whichever browser opens it first. */
export async function createTestLink(ctx: Ctx, tenantId: string, connectionId: string): Promise<{ url: string; expiresAt: string }> {
  const connection = await getConnection(tenantId, connectionId);
  const tenant = await findTenant({ id: tenantId });
  if (!tenant) throw new Error('tenant of a connection is gone');
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + TEST_LINK_TTL_SECONDS * 1000);
  const db = await getDb();
  await db.insert(ssoFlows).values({
    key: `testlink:${sha256(token)}`,
    connectionId: connection.id,
    tenantId,
    purpose: 'test',
    detail: { actor: ctx.actor } satisfies TestFlowDetail,
    expiresAt,
  });
  const url = `${env().PUBLIC_URL}/t/${tenant.slug}/connections/${connection.id}/test?token=${token}`;
  return { url, expiresAt: expiresAt.toISOString() };
}

/** Opens a test link once: the actor who asked for it, or null when it is unknown, used or expired. */
export async function redeemTestLink(token: string, tenantId: string, connectionId: string): Promise<Actor | null> {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return null;
  const db = await getDb();
  const [row] = await db
    .delete(ssoFlows)
    .where(
      and(
        eq(ssoFlows.key, `testlink:${sha256(token)}`),
        eq(ssoFlows.tenantId, tenantId),
        eq(ssoFlows.connectionId, connectionId),
        gt(ssoFlows.expiresAt, new Date()),
      ),
    )
    .returning();
  return row ? ((row.detail as TestFlowDetail | null)?.actor ?? { type: 'system' }) : null;
}

// ---------------------------------------------------------------------------------------------
// Reading a SAML response for the result (never for a decision: the checks are in ../saml/checks.ts)
// ---------------------------------------------------------------------------------------------

const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const DS = 'http://www.w3.org/2000/09/xmldsig#';

function parse(samlResponse: string) {
  const xml = Buffer.from(samlResponse, 'base64').toString('utf8');
  if (xml.length > 2 * 1024 * 1024 || /<!DOCTYPE/i.test(xml)) return null;
  try {
    const doc = new DOMParser({ onError: () => {} }).parseFromString(xml, 'text/xml');
    return doc.documentElement ?? null;
  } catch {
    return null;
  }
}

const firstEl = (root: XmlElement, ns: string, name: string) => (root.getElementsByTagNameNS(ns, name)[0] as XmlElement | undefined) ?? null;
const text = (el: XmlElement | null) => el?.textContent?.trim().slice(0, 500) || null;
const attrOf = (el: XmlElement | null, name: string) => el?.getAttribute(name)?.slice(0, 500) || null;

/** SessionNotOnOrAfter of the (already verified) assertion's AuthnStatement, if the IdP sent one. */
export function sessionNotOnOrAfterOf(samlResponse: string): string | null {
  const root = parse(samlResponse);
  return root ? attrOf(firstEl(root, SAML, 'AuthnStatement'), 'SessionNotOnOrAfter') : null;
}

/**
 * What a refused response says, unverified: shown next to what the portal expects so the admin
 * sees which value is wrong (audience, recipient, destination, times, signature algorithm).
 */
export function observeSamlResponse(samlResponse: string): Record<string, string | null> {
  const root = parse(samlResponse);
  if (!root) return {};
  const conditions = firstEl(root, SAML, 'Conditions');
  const scd = firstEl(root, SAML, 'SubjectConfirmationData');
  const nameId = firstEl(root, SAML, 'NameID');
  const status = root.namespaceURI === SAMLP ? firstEl(root, SAMLP, 'StatusCode') : null;
  return {
    issuer: text(firstEl(root, SAML, 'Issuer')),
    status: attrOf(status, 'Value'),
    statusMessage: text(firstEl(root, SAMLP, 'StatusMessage')),
    destination: attrOf(root, 'Destination'),
    audience: text(firstEl(root, SAML, 'Audience')),
    recipient: attrOf(scd, 'Recipient'),
    inResponseTo: attrOf(scd, 'InResponseTo') ?? attrOf(root, 'InResponseTo'),
    notBefore: attrOf(conditions, 'NotBefore'),
    notOnOrAfter: attrOf(conditions, 'NotOnOrAfter'),
    subjectConfirmationNotOnOrAfter: attrOf(scd, 'NotOnOrAfter'),
    nameId: text(nameId),
    nameIdFormat: attrOf(nameId, 'Format'),
    signatureAlgorithm: attrOf(firstEl(root, DS, 'SignatureMethod'), 'Algorithm'),
    signed: root.getElementsByTagNameNS(DS, 'Signature').length ? 'yes' : 'no',
  };
}

// ---------------------------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------------------------

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Which of the tenant's provisioning checks this person would pass at a real sign-in (the same
 * rules as lib/provisioning/jit.ts, without writing anything).
 */
export function provisioningChecks(tenant: TenantWithDomains, email: string | null, existing: User | null): NonNullable<ConnectionTestResult['checks']> {
  const checks: NonNullable<ConnectionTestResult['checks']> = [];
  const e = email?.trim().toLowerCase() ?? '';
  const validEmail = EMAIL.test(e);
  checks.push({ name: 'Email address', ok: validEmail, detail: validEmail ? e : 'no usable email address was sent' });
  if (!validEmail) return checks;
  const domain = e.slice(e.lastIndexOf('@') + 1);
  const own = tenant.domains.includes(domain);
  const allowed = tenant.allowedDomains.includes(domain);
  checks.push({
    name: 'Email domain',
    ok: own || allowed,
    detail: own ? `${domain} is one of the organisation’s domains` : allowed ? `${domain} is an allowed domain` : `${domain} is neither a domain of the organisation nor allowed`,
    ...(own || allowed ? {} : { fix: `Add ${domain} under Domains (your portal operator can too), or test with an address of one of the organisation’s domains.` }),
  });
  if (!own && !allowed) return checks;
  if (tenant.strategy === 'jit') {
    checks.push({ name: 'Just-in-time provisioning', ok: true, detail: existing ? 'would update the existing user' : 'would create the user at first sign-in' });
  } else if (tenant.strategy === 'scim') {
    const ok = existing?.source === 'scim';
    checks.push({
      name: 'Directory (SCIM) provisioning',
      ok,
      detail: ok ? 'provisioned by the directory' : 'not provisioned by the directory: sign-in would be refused',
      ...(ok ? {} : { fix: 'Assign this person to the application in your identity provider so that the directory pushes them, or choose just-in-time provisioning under Provisioning.' }),
    });
  } else {
    const ok = !!existing || allowed;
    checks.push({
      name: 'Self-registration',
      ok,
      detail: existing ? 'would sign in the existing user' : allowed ? 'would register the user' : 'only allowed domains may register: sign-in would be refused',
      ...(ok ? {} : { fix: `Add ${domain} to the allowed domains under Provisioning, or choose just-in-time provisioning.` }),
    });
  }
  if (existing) {
    const active = existing.status === 'active';
    checks.push({
      name: 'Account status',
      ok: active,
      detail: active ? 'active' : 'suspended: sign-in would be refused',
      ...(active ? {} : { fix: 'Reactivate the user under Users, or in your directory if it provisions them.' }),
    });
  }
  return checks;
}

const cap = (attrs: Record<string, string[]>): Record<string, string[]> =>
  Object.fromEntries(
    Object.entries(attrs)
      .slice(0, 100)
      .map(([k, v]) => [k.slice(0, 300), v.slice(0, 50).map((x) => x.slice(0, 500))]),
  );

async function existingUser(tenantId: string, email: string | null): Promise<User | null> {
  const e = email?.trim().toLowerCase();
  if (!e) return null;
  const db = await getDb();
  const [u] = await db.select().from(users).where(and(eq(users.tenantId, tenantId), sql`lower(${users.email}) = ${e}`));
  return u ?? null;
}

/** A test that reached the callback: what the IdP sent, the roles it would give, the checks; nobody is signed in. */
export async function completeTest(
  meta: Omit<Ctx, 'actor'>,
  connection: Connection,
  detail: TestFlowDetail | null,
  profile: IdpProfile,
): Promise<Response> {
  const tenant = await findTenant({ id: connection.tenantId });
  if (!tenant) return failTest(meta, connection, detail, 'unknown_tenant');
  const provider = detectProvider(connection.type, connection.idp);
  const saml = detail?.saml;
  // What sign-in would refuse before the rules run (too many attributes), and rules over budget.
  if (profile.refusal) return failTest(meta, connection, detail, profile.refusal);
  let roles: string[];
  try {
    roles = evaluate({ rules: tenant.roleRules, defaultRole: tenant.defaultRole }, mappingInput(profile)).roles;
  } catch (e) {
    if (e instanceof MappingBudgetExceeded) return failTest(meta, connection, detail, 'attributes_over_budget');
    throw e;
  }
  const checks = provisioningChecks(tenant, profile.email, await existingUser(tenant.id, profile.email));
  // OIDC: would sign-in accept this email as the provider vouches for it (lib/provisioning/jit.ts)?
  const unverified = connection.type === 'oidc' && !!checks[0]?.ok && profile.emailVerified !== true;
  if (connection.type === 'oidc' && checks[0]?.ok) {
    checks.splice(1, 0, {
      name: 'Email verified',
      ok: !unverified || connection.trustUnverifiedEmail,
      detail: !unverified
        ? 'the provider marks the address as verified'
        : connection.trustUnverifiedEmail
          ? 'not marked as verified by the provider; accepted because this connection trusts unverified addresses (such an address never joins an existing user to a new account)'
          : 'not marked as verified by the provider (email_verified): sign-in would be refused',
      ...(!unverified || connection.trustUnverifiedEmail
        ? {}
        : { fix: 'Have the provider send email_verified, or turn on “trust unverified email addresses” in this connection’s settings.' }),
    });
  }
  const base: ConnectionTestResult = {
    outcome: 'success',
    at: new Date().toISOString(),
    protocol: connection.type,
    provider,
    issuer: saml?.issuer ?? connection.idp.issuer ?? null,
    subject: profile.subject || null,
    nameId: saml?.nameId ?? null,
    nameIdFormat: saml?.nameIdFormat ?? null,
    authnContextClassRef: saml?.authnContextClassRef ?? null,
    sessionNotOnOrAfter: saml?.sessionNotOnOrAfter ?? null,
    email: profile.email,
    firstName: profile.firstName,
    lastName: profile.lastName,
    groups: profile.groups.slice(0, 200),
    attributes: cap(saml?.attributes ?? profile.attributes),
    roles,
    checks,
  };
  // Without an email address nobody could sign in through this connection: that is its failure.
  const result: ConnectionTestResult = !checks[0]?.ok
    ? { ...base, outcome: 'failure', reason: 'email_missing', message: LOGIN_FAILURES.email_missing, hint: hintFor('email_missing', provider, spValuesFrom({ ...sp(), oidcRedirectUrl: oidcRedirectUrlOf(connection) })) }
    : unverified && !connection.trustUnverifiedEmail
      ? { ...base, outcome: 'failure', reason: 'email_not_verified', message: LOGIN_FAILURES.email_not_verified, hint: hintFor('email_not_verified', provider, spValuesFrom({ ...sp(), oidcRedirectUrl: oidcRedirectUrlOf(connection) })) }
      : base;
  return store(meta, connection, tenant, detail, result);
}

/** A test refused for a typed reason: the reason, its fix hint for this IdP, and what could be read. */
export async function failTest(
  meta: Omit<Ctx, 'actor'>,
  connection: Connection,
  detail: TestFlowDetail | null,
  reason: LoginFailure,
  extra: { samlResponse?: string | null; error?: string | null } = {},
): Promise<Response> {
  const provider = detectProvider(connection.type, connection.idp);
  const values = spValuesFrom({ ...sp(), oidcRedirectUrl: oidcRedirectUrlOf(connection) });
  const observed = extra.samlResponse ? observeSamlResponse(extra.samlResponse) : {};
  if (extra.error) observed.error = extra.error.slice(0, 200);
  const result: ConnectionTestResult = {
    outcome: 'failure',
    at: new Date().toISOString(),
    protocol: connection.type,
    provider,
    reason,
    message: LOGIN_FAILURES[reason],
    hint: hintFor(reason, provider, values),
    issuer: observed.issuer ?? null,
    nameId: observed.nameId ?? null,
    nameIdFormat: observed.nameIdFormat ?? null,
    observed,
    expected:
      connection.type === 'saml'
        ? { audience: values.entityId, recipient: values.acsUrl, destination: values.acsUrl, issuer: connection.idp.entityId ?? '' }
        : { redirectUri: values.redirectUri, issuer: connection.idp.issuer ?? '' },
  };
  const tenant = await findTenant({ id: connection.tenantId });
  return store(meta, connection, tenant, detail, result);
}

async function store(
  meta: Omit<Ctx, 'actor'>,
  connection: Connection,
  tenant: TenantWithDomains | null,
  detail: TestFlowDetail | null,
  result: ConnectionTestResult,
): Promise<Response> {
  const ctx: Ctx = { ...meta, actor: detail?.actor ?? { type: 'system', id: null, label: 'connection test' } };
  let status = connection.status;
  try {
    status = (await recordConnectionTest(ctx, connection.tenantId, connection.id, result)).status;
  } catch (err) {
    log('error', 'could not record a connection test', { err, connectionId: connection.id });
  }
  return resultPage(result, { tenantSlug: tenant?.slug ?? null, connectionId: connection.id, status });
}

// ---------------------------------------------------------------------------------------------
// The result page
// ---------------------------------------------------------------------------------------------

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const row = (label: string, value: string | null | undefined) =>
  value ? `<tr><th scope="row">${esc(label)}</th><td><code>${esc(value)}</code></td></tr>` : '';

/** The page a test ends on (in the tab that ran it), linking back to the connection in the console. */
const HEADLINE: Record<TestVerdict, string> = {
  passed: 'Connection test passed',
  problems: 'Connection test passed with problems',
  failed: 'Connection test failed',
};

export function resultPage(r: ConnectionTestResult, at: { tenantSlug: string | null; connectionId: string; status: string }): Response {
  const ok = r.outcome === 'success';
  const verdict = testVerdict(r);
  const back = at.tenantSlug ? `/t/${encodeURIComponent(at.tenantSlug)}/connections/${encodeURIComponent(at.connectionId)}` : '/';
  const parts: string[] = [];
  parts.push(`<h1>${HEADLINE[verdict]}</h1>`);
  parts.push(
    `<p role="status">${
      verdict === 'passed'
        ? 'The identity provider signed you in and the portal accepted its answer. Nobody was signed in to the portal and no user was created.'
        : verdict === 'problems'
          ? 'The identity provider signed you in and the portal accepted its answer, but a real sign-in of this person would be refused. Nobody was signed in to the portal and no user was created.'
          : esc(r.message ?? '')
    }</p>`,
  );
  const problems = (r.checks ?? []).filter((c) => !c.ok);
  if (ok && problems.length) {
    parts.push(
      `<section aria-label="Problems to fix" class="hint"><h2>Problems to fix</h2><ul>${problems
        .map((c) => `<li><strong>${esc(c.name)}</strong>: ${esc(c.detail)}.${c.fix ? ` ${esc(c.fix)}` : ''}</li>`)
        .join('')}</ul></section>`,
    );
  }
  parts.push(`<p>Connection status: <strong data-status>${esc(at.status)}</strong></p>`);
  if (!ok) {
    parts.push(`<p>Reason code: <code data-reason>${esc(r.reason ?? '')}</code></p>`);
    parts.push(`<section aria-label="How to fix it" class="hint"><h2>How to fix it</h2><p>${esc(r.hint ?? '')}</p></section>`);
    const obs = Object.entries(r.observed ?? {}).filter(([, v]) => v);
    if (obs.length) {
      parts.push(
        `<h2>What the identity provider sent</h2><table aria-label="Received values">${obs
          .map(([k, v]) => row(k + (r.expected?.[k] && r.expected[k] !== v ? ` (expected ${r.expected[k]})` : ''), v))
          .join('')}</table>`,
      );
    }
  }
  if (ok || r.email) {
    parts.push(
      `<h2>Identity</h2><table aria-label="Identity">${[
        row('Issuer', r.issuer),
        row('NameID', r.nameId),
        row('NameID format', r.nameIdFormat),
        row('Subject', r.subject),
        row('Email', r.email),
        row('First name', r.firstName),
        row('Last name', r.lastName),
        row('Authentication context', r.authnContextClassRef),
        row('Session not on or after', r.sessionNotOnOrAfter),
      ].join('')}</table>`,
    );
    parts.push(
      `<h2>Roles the current mappings give</h2><ul aria-label="Roles">${(r.roles ?? []).map((x) => `<li>${esc(x)}</li>`).join('') || '<li><em>none</em></li>'}</ul>`,
    );
    parts.push(
      `<h2>Provisioning checks</h2><ul aria-label="Provisioning checks">${(r.checks ?? [])
        .map((c) => `<li>${c.ok ? '✓' : '✗'} <strong>${esc(c.name)}</strong>: ${esc(c.detail)}</li>`)
        .join('')}</ul>`,
    );
    const attrs = Object.entries(r.attributes ?? {});
    parts.push(
      `<h2>Attributes received</h2><table aria-label="Attributes received">${attrs
        .map(([k, v]) => `<tr><th scope="row"><code>${esc(k)}</code></th><td>${v.map((x) => esc(x)).join('<br>')}</td></tr>`)
        .join('') || '<tr><td>none</td></tr>'}</table>`,
    );
  }
  parts.push(`<p><a href="${esc(back)}">Back to the connection</a></p>`);
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${HEADLINE[verdict]}</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>body{font-family:ui-sans-serif,system-ui,sans-serif;background:#f4f4f5;margin:0;padding:32px 16px}main{background:#fff;border:1px solid #e4e4e7;border-radius:8px;padding:24px 28px;max-width:760px;margin:0 auto}
h1{font-size:20px;margin:0 0 8px;color:${verdict === 'passed' ? '#166534' : verdict === 'problems' ? '#92400e' : '#991b1b'}}h2{font-size:15px;margin:20px 0 6px}p,li,td,th{font-size:14px;line-height:1.5;color:#3f3f46}
table{border-collapse:collapse;width:100%}th{text-align:left;vertical-align:top;padding:4px 12px 4px 0;width:35%;font-weight:500}td{padding:4px 0;word-break:break-all}
code{background:#f4f4f5;padding:1px 4px;border-radius:4px;font-size:12px}.hint{background:#fffbeb;border:1px solid #fde68a;border-radius:6px;padding:4px 12px}a{color:#18181b}</style></head>
<body><main>${parts.join('\n')}</main></body></html>`;
  return htmlResponse(html, { status: ok ? 200 : 400 });
}
