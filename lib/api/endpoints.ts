import {
  applicationCreatedSchema,
  applicationCreateSchema,
  applicationParams,
  applicationPatchSchema,
  applicationSchema,
} from '../validation/applications';
import { consoleAccessInputSchema, consoleAccessSchema } from '../validation/console-access';
import { z } from 'zod';
import {
  provisioningInputSchema,
  provisioningSchema,
  tenantCreateSchema,
  tenantIdParams,
  tenantListQuerySchema,
  tenantPatchSchema,
  tenantSchema,
} from '../validation/tenants';
import { listQuerySchema } from '../validation/common';
import { domainParams, domainSchema, portalLinkCreateSchema, portalLinkParams, portalLinkSchema } from '../validation/portal-links';
import {
  connectionCreateSchema,
  connectionParams,
  connectionPatchSchema,
  connectionSchema,
  connectionTestStartSchema,
} from '../validation/connections';
import { certificateAddSchema, certificateParams, metadataStatusSchema } from '../validation/certificates';
import { previewInputSchema, previewResultSchema, roleMappingInputSchema, roleMappingSchema } from '../validation/role-mappings';
import { userListQuerySchema, userParams, userSchema } from '../validation/users';
import {
  directoryCreatedSchema,
  directoryCreateSchema,
  directoryParams,
  directorySchema,
  requestLogQuerySchema,
  scimGroupViewSchema,
  scimRequestSchema,
  scimUserViewSchema,
  tokenSchema,
} from '../validation/directories';
import { auditEventSchema, auditExportQuerySchema, auditListQuerySchema, auditVerifySchema, operatorAuditListQuerySchema } from '../validation/audit';
import {
  deliveryListQuerySchema,
  deliveryParams,
  deliverySchema,
  tenantDeliveryParams,
  tenantWebhookParams,
  webhookCreateSchema,
  webhookListQuerySchema,
  webhookParams,
  webhookPatchSchema,
  webhookSchema,
  webhookWithSecretSchema,
} from '../webhooks/validation';
import { endpoint } from './endpoint';
import { signingKeyListSchema, spKeyEndSchema, spKeySchema } from '../validation/sp-keys';
import { brandingPatchSchema, brandingSchema } from '../validation/branding';
import {
  accessReviewExportQuerySchema,
  accessReviewQuerySchema,
  bulkSuspendResultSchema,
  bulkSuspendSchema,
  inactivityPolicySchema,
  reviewItemSchema,
} from '../access-review/validation';
import { auditRetentionSchema } from '../audit/retention-schema';
import { signInPolicyInputSchema, signInPolicyViewSchema } from '../policies/schema';

const list = <T extends z.ZodType>(item: T) => z.object({ data: z.array(item), nextCursor: z.string().nullable() });

/** Every operation of the operator API. Route files import their entry; openapi.json lists them all. */
export const api = {
  createTenant: endpoint({
    method: 'POST', path: '/tenants', tag: 'Tenants', summary: 'Create a tenant',
    body: tenantCreateSchema, response: tenantSchema, status: 201,
  }),
  listTenants: endpoint({
    method: 'GET', path: '/tenants', tag: 'Tenants', summary: 'List tenants (newest first)',
    query: tenantListQuerySchema, response: list(tenantSchema), status: 200,
  }),
  getTenant: endpoint({
    method: 'GET', path: '/tenants/{tenantId}', tag: 'Tenants', summary: 'Get a tenant',
    params: tenantIdParams, response: tenantSchema, status: 200,
  }),
  updateTenant: endpoint({
    method: 'PATCH', path: '/tenants/{tenantId}', tag: 'Tenants', summary: 'Rename a tenant or replace its domains',
    params: tenantIdParams, body: tenantPatchSchema, response: tenantSchema, status: 200,
  }),
  deleteTenant: endpoint({
    method: 'DELETE', path: '/tenants/{tenantId}', tag: 'Tenants', summary: 'Delete a tenant and everything in it',
    params: tenantIdParams, status: 204,
  }),
  getProvisioning: endpoint({
    method: 'GET', path: '/tenants/{tenantId}/provisioning', tag: 'Provisioning', summary: "Get a tenant's provisioning strategy",
    params: tenantIdParams, response: provisioningSchema, status: 200,
  }),
  getSignInPolicy: endpoint({
    method: 'GET', path: '/tenants/{tenantId}/sign-in-policy', tag: 'Policies',
    summary: "Get a tenant's sign-in policy (MFA, IP allowlists, session lifetime and idle timeout)",
    params: tenantIdParams, response: signInPolicyViewSchema, status: 200,
  }),
  putSignInPolicy: endpoint({
    method: 'PUT', path: '/tenants/{tenantId}/sign-in-policy', tag: 'Policies',
    summary: "Replace a tenant's sign-in policy (a field left out is off); records sign_in_policy.updated",
    params: tenantIdParams, body: signInPolicyInputSchema, response: signInPolicyViewSchema, status: 200,
  }),
  putProvisioning: endpoint({
    method: 'PUT', path: '/tenants/{tenantId}/provisioning', tag: 'Provisioning', summary: "Set a tenant's provisioning strategy (a new default role applies to existing users at once; one the tenant does not have yet is added to its roles)",
    params: tenantIdParams, body: provisioningInputSchema, response: provisioningSchema, status: 200,
  }),
  getRoleMapping: endpoint({
    method: 'GET', path: '/tenants/{tenantId}/role-mappings', tag: 'Role mappings', summary: "Get a tenant's attribute-to-role rules",
    params: tenantIdParams, response: roleMappingSchema, status: 200,
  }),
  putRoleMapping: endpoint({
    method: 'PUT', path: '/tenants/{tenantId}/role-mappings', tag: 'Role mappings', summary: "Replace a tenant's attribute-to-role rules and apply them to existing users at once (a role the tenant does not have yet is added to its roles)",
    params: tenantIdParams, body: roleMappingInputSchema, bodyValidatedByHandler: true, response: roleMappingSchema, status: 200,
  }),
  previewRoleMapping: endpoint({
    method: 'POST', path: '/tenants/{tenantId}/role-mappings/preview', tag: 'Role mappings', summary: 'Roles the stored rules give for these attributes',
    params: tenantIdParams, body: previewInputSchema, response: previewResultSchema, status: 200,
  }),
  getConsoleAccess: endpoint({
    method: 'GET', path: '/tenants/{tenantId}/console-access', tag: 'Setup links',
    summary: "Which app roles open the tenant's console after SSO, with which scopes (default {}: none)",
    params: tenantIdParams, response: consoleAccessSchema, status: 200,
  }),
  putConsoleAccess: endpoint({
    method: 'PUT', path: '/tenants/{tenantId}/console-access', tag: 'Setup links',
    summary: "Replace which app roles open the tenant's console after SSO (records console_access.updated)",
    params: tenantIdParams, body: consoleAccessInputSchema, response: consoleAccessSchema, status: 200,
  }),
  createPortalLink: endpoint({
    method: 'POST', path: '/tenants/{tenantId}/portal-links', tag: 'Setup links', summary: "Create a setup link for the customer's IT admin",
    params: tenantIdParams, body: portalLinkCreateSchema, response: portalLinkSchema, status: 201,
  }),
  deletePortalLink: endpoint({
    method: 'DELETE', path: '/tenants/{tenantId}/portal-links/{linkId}', tag: 'Setup links', summary: 'Revoke a setup link; it stops working at once',
    params: portalLinkParams, status: 204,
  }),
  listDomains: endpoint({
    method: 'GET', path: '/tenants/{tenantId}/domains', tag: 'Domains', summary: "A tenant's domains with their verification records",
    params: tenantIdParams, response: z.object({ data: z.array(domainSchema) }), status: 200,
  }),
  verifyDomain: endpoint({
    method: 'POST', path: '/tenants/{tenantId}/domains/{domain}/verify', tag: 'Domains', summary: 'Check the DNS TXT record of a domain now',
    params: domainParams, response: domainSchema, status: 200,
  }),
  createConnection: endpoint({
    method: 'POST', path: '/tenants/{tenantId}/connections', tag: 'Connections', summary: 'Create a SAML or OIDC connection',
    params: tenantIdParams, body: connectionCreateSchema, response: connectionSchema, status: 201,
  }),
  listConnections: endpoint({
    method: 'GET', path: '/tenants/{tenantId}/connections', tag: 'Connections', summary: "List a tenant's connections",
    params: tenantIdParams, query: listQuerySchema, response: list(connectionSchema), status: 200,
  }),
  getConnection: endpoint({
    method: 'GET', path: '/tenants/{tenantId}/connections/{connectionId}', tag: 'Connections', summary: 'Get a connection',
    params: connectionParams, response: connectionSchema, status: 200,
  }),
  updateConnection: endpoint({
    method: 'PATCH', path: '/tenants/{tenantId}/connections/{connectionId}', tag: 'Connections',
    summary: 'Rename a connection, switch IdP-initiated sign-in or MFA, or change its status (activating an untested draft needs force: true; 409 otherwise)',
    params: connectionParams, body: connectionPatchSchema, response: connectionSchema, status: 200,
  }),
  testConnection: endpoint({
    method: 'POST', path: '/tenants/{tenantId}/connections/{connectionId}/test', tag: 'Connections',
    summary: 'A single-use link (10 minutes) that runs a test sign-in of the connection; the result is the connection’s lastTest',
    params: connectionParams, response: connectionTestStartSchema, status: 200,
  }),
  deleteConnection: endpoint({
    method: 'DELETE', path: '/tenants/{tenantId}/connections/{connectionId}', tag: 'Connections', summary: 'Delete a connection',
    params: connectionParams, status: 204,
  }),
  addConnectionCertificate: endpoint({
    method: 'POST', path: '/tenants/{tenantId}/connections/{connectionId}/certificates', tag: 'Connections',
    summary: 'Add an IdP signing certificate (rollover): signatures by any of the connection’s certificates are accepted',
    params: connectionParams, body: certificateAddSchema, response: connectionSchema, status: 201,
  }),
  removeConnectionCertificate: endpoint({
    method: 'DELETE', path: '/tenants/{tenantId}/connections/{connectionId}/certificates/{fingerprintSha256}', tag: 'Connections',
    summary: 'Remove an IdP signing certificate (not the last one)',
    params: certificateParams, status: 204,
  }),
  getConnectionMetadata: endpoint({
    method: 'GET', path: '/tenants/{tenantId}/connections/{connectionId}/metadata', tag: 'Connections',
    summary: 'Metadata refresh state: when the metadata URL was last read, and a change waiting for approval with its diff',
    params: connectionParams, response: metadataStatusSchema, status: 200,
  }),
  refreshConnectionMetadata: endpoint({
    method: 'POST', path: '/tenants/{tenantId}/connections/{connectionId}/metadata/refresh', tag: 'Connections',
    summary: 'Re-read the metadata URL now; a difference is kept for approval, never applied by itself',
    params: connectionParams, response: metadataStatusSchema, status: 200,
  }),
  approveConnectionMetadata: endpoint({
    method: 'POST', path: '/tenants/{tenantId}/connections/{connectionId}/metadata/approve', tag: 'Connections',
    summary: 'Apply the metadata change waiting for approval',
    params: connectionParams, response: connectionSchema, status: 200,
  }),
  rejectConnectionMetadata: endpoint({
    method: 'POST', path: '/tenants/{tenantId}/connections/{connectionId}/metadata/reject', tag: 'Connections',
    summary: 'Drop the metadata change waiting for approval',
    params: connectionParams, response: metadataStatusSchema, status: 200,
  }),
  listUsers: endpoint({
    method: 'GET', path: '/tenants/{tenantId}/users', tag: 'Users', summary: "List a tenant's users",
    params: tenantIdParams, query: userListQuerySchema, response: list(userSchema), status: 200,
  }),
  getUser: endpoint({
    method: 'GET', path: '/tenants/{tenantId}/users/{userId}', tag: 'Users', summary: 'Get a user',
    params: userParams, response: userSchema, status: 200,
  }),
  suspendUser: endpoint({
    method: 'POST', path: '/tenants/{tenantId}/users/{userId}/suspend', tag: 'Users', summary: 'Suspend a user; their sessions end at once',
    params: userParams, response: userSchema, status: 200,
  }),
  reactivateUser: endpoint({
    method: 'POST', path: '/tenants/{tenantId}/users/{userId}/reactivate', tag: 'Users', summary: 'Lift a suspension',
    params: userParams, response: userSchema, status: 200,
  }),
  deleteUser: endpoint({
    method: 'DELETE', path: '/tenants/{tenantId}/users/{userId}', tag: 'Users', summary: 'Delete a user',
    params: userParams, status: 204,
  }),
  listAuditLogs: endpoint({
    method: 'GET', path: '/tenants/{tenantId}/audit-logs', tag: 'Audit log',
    summary: "List a tenant's audit events, newest first (action may be a prefix such as sso.*; since inclusive, until exclusive)",
    params: tenantIdParams, query: auditListQuerySchema, response: list(auditEventSchema), status: 200,
  }),
  listOperatorAuditLogs: endpoint({
    method: 'GET', path: '/audit-logs', tag: 'Audit log',
    summary: "List the operator's audit log, newest first: every tenant's events (deleted tenants' included) and the operator-wide ones (applications, API keys; tenantId null); tenantId narrows it to one tenant; the other filters as for a tenant's log",
    query: operatorAuditListQuerySchema, response: list(auditEventSchema), status: 200,
  }),
  exportAuditLogs: endpoint({
    method: 'GET', path: '/tenants/{tenantId}/audit-logs/export', tag: 'Audit log',
    summary: "Stream a tenant's audit events, oldest first, as CSV (text/csv) or NDJSON (application/x-ndjson); records audit.exported",
    params: tenantIdParams, query: auditExportQuerySchema, streams: ['text/csv', 'application/x-ndjson'], status: 200,
  }),
  verifyAuditLogs: endpoint({
    method: 'GET', path: '/tenants/{tenantId}/audit-logs/verify', tag: 'Audit log',
    summary: "Check a tenant's audit hash chain from its first event",
    params: tenantIdParams, response: auditVerifySchema, status: 200,
  }),
  getAuditRetention: endpoint({
    method: 'GET', path: '/tenants/{tenantId}/audit-logs/retention', tag: 'Audit log',
    summary: "How many days a tenant's audit events are kept (default 365)",
    params: tenantIdParams, response: auditRetentionSchema, status: 200,
  }),
  putAuditRetention: endpoint({
    method: 'PUT', path: '/tenants/{tenantId}/audit-logs/retention', tag: 'Audit log',
    summary: 'Set the audit retention (1–3650 days); older events are pruned hourly, the chain stays verifiable (audit.pruned); records audit.retention_updated',
    params: tenantIdParams, body: auditRetentionSchema, response: auditRetentionSchema, status: 200,
  }),
  listAccessReview: endpoint({
    method: 'GET', path: '/tenants/{tenantId}/access-review', tag: 'Access review',
    summary: 'Every user with roles, source, status, last sign-in and days inactive, most inactive first (filter=never_signed_in | inactive with inactiveDays, default the inactivity policy or 30; role, status, source)',
    params: tenantIdParams, query: accessReviewQuerySchema, response: list(reviewItemSchema), status: 200,
  }),
  exportAccessReview: endpoint({
    method: 'GET', path: '/tenants/{tenantId}/access-review/export', tag: 'Access review',
    summary: 'The access review as CSV (text/csv, streamed), with the same filters; records access_review.exported',
    params: tenantIdParams, query: accessReviewExportQuerySchema, streams: ['text/csv'], status: 200,
  }),
  bulkSuspendUsers: endpoint({
    method: 'POST', path: '/tenants/{tenantId}/users/bulk-suspend', tag: 'Users',
    summary: 'Suspend up to 500 users at once (their sessions end at once), in one transaction; an unknown or foreign id answers 400 and suspends nobody',
    params: tenantIdParams, body: bulkSuspendSchema, response: bulkSuspendResultSchema, status: 200,
  }),
  getInactivityPolicy: endpoint({
    method: 'GET', path: '/tenants/{tenantId}/inactivity-policy', tag: 'Policies',
    summary: "A tenant's inactivity policy: users not seen through SSO for inactivityDays are suspended (null: off)",
    params: tenantIdParams, response: inactivityPolicySchema, status: 200,
  }),
  putInactivityPolicy: endpoint({
    method: 'PUT', path: '/tenants/{tenantId}/inactivity-policy', tag: 'Policies',
    summary: 'Set (1–3650 days) or turn off (null) the inactivity policy; SCIM-managed users are left to their directory; records inactivity_policy.updated',
    params: tenantIdParams, body: inactivityPolicySchema, response: inactivityPolicySchema, status: 200,
  }),
  createDirectory: endpoint({
    method: 'POST', path: '/tenants/{tenantId}/directories', tag: 'Directories',
    summary: 'Create a SCIM directory; the bearer token is in this answer only',
    params: tenantIdParams, body: directoryCreateSchema, response: directoryCreatedSchema, status: 201,
  }),
  listDirectories: endpoint({
    method: 'GET', path: '/tenants/{tenantId}/directories', tag: 'Directories', summary: "List a tenant's SCIM directories (no tokens)",
    params: tenantIdParams, query: listQuerySchema, response: list(directorySchema), status: 200,
  }),
  getDirectory: endpoint({
    method: 'GET', path: '/tenants/{tenantId}/directories/{directoryId}', tag: 'Directories', summary: 'Get a SCIM directory',
    params: directoryParams, response: directorySchema, status: 200,
  }),
  deleteDirectory: endpoint({
    method: 'DELETE', path: '/tenants/{tenantId}/directories/{directoryId}', tag: 'Directories',
    summary: 'Delete a directory with its SCIM users and groups; their portal users stay, suspended',
    params: directoryParams, status: 204,
  }),
  rotateDirectoryToken: endpoint({
    method: 'POST', path: '/tenants/{tenantId}/directories/{directoryId}/token', tag: 'Directories',
    summary: 'Make a new bearer token (shown once); the old one stops working at once',
    params: directoryParams, response: tokenSchema, status: 201,
  }),
  revokeDirectoryToken: endpoint({
    method: 'DELETE', path: '/tenants/{tenantId}/directories/{directoryId}/token', tag: 'Directories',
    summary: 'Revoke the bearer token: every SCIM request is refused until a new token is made',
    params: directoryParams, response: directorySchema, status: 200,
  }),
  listDirectoryRequests: endpoint({
    method: 'GET', path: '/tenants/{tenantId}/directories/{directoryId}/requests', tag: 'Directories',
    summary: "A directory's SCIM request log, newest first (?status=401 or 4xx, ?outcome=)",
    params: directoryParams, query: requestLogQuerySchema, response: list(scimRequestSchema), status: 200,
  }),
  listDirectoryUsers: endpoint({
    method: 'GET', path: '/tenants/{tenantId}/directories/{directoryId}/users', tag: 'Directories',
    summary: 'The users a directory pushed (SCIM view; their portal users are in /users)',
    params: directoryParams, query: listQuerySchema, response: list(scimUserViewSchema), status: 200,
  }),
  listDirectoryGroups: endpoint({
    method: 'GET', path: '/tenants/{tenantId}/directories/{directoryId}/groups', tag: 'Directories',
    summary: 'The groups a directory pushed, with member counts',
    params: directoryParams, query: listQuerySchema, response: list(scimGroupViewSchema), status: 200,
  }),
  // Webhooks: a tenant's (under /tenants/{tenantId}) and operator-wide ones (every tenant's events).
  createTenantWebhook: endpoint({
    method: 'POST', path: '/tenants/{tenantId}/webhooks', tag: 'Webhooks',
    summary: "Create a tenant's webhook (kind webhook: change events, default user.* and connection.*) or SIEM audit stream (kind audit_stream: default every event); the signing secret is in this answer only",
    params: tenantIdParams, body: webhookCreateSchema, response: webhookWithSecretSchema, status: 201,
  }),
  listTenantWebhooks: endpoint({
    method: 'GET', path: '/tenants/{tenantId}/webhooks', tag: 'Webhooks', summary: "List a tenant's webhook endpoints with their health",
    params: tenantIdParams, query: webhookListQuerySchema, response: list(webhookSchema), status: 200,
  }),
  getTenantWebhook: endpoint({
    method: 'GET', path: '/tenants/{tenantId}/webhooks/{webhookId}', tag: 'Webhooks', summary: 'Get a webhook endpoint',
    params: tenantWebhookParams, response: webhookSchema, status: 200,
  }),
  updateTenantWebhook: endpoint({
    method: 'PATCH', path: '/tenants/{tenantId}/webhooks/{webhookId}', tag: 'Webhooks', summary: 'Change the URL, events, description, or enable/disable',
    params: tenantWebhookParams, body: webhookPatchSchema, response: webhookSchema, status: 200,
  }),
  deleteTenantWebhook: endpoint({
    method: 'DELETE', path: '/tenants/{tenantId}/webhooks/{webhookId}', tag: 'Webhooks', summary: 'Delete a webhook endpoint and its delivery log',
    params: tenantWebhookParams, status: 204,
  }),
  rotateTenantWebhookSecret: endpoint({
    method: 'POST', path: '/tenants/{tenantId}/webhooks/{webhookId}/rotate-secret', tag: 'Webhooks',
    summary: 'Make a new signing secret (shown once); deliveries are signed with it from now on',
    params: tenantWebhookParams, response: webhookWithSecretSchema, status: 200,
  }),
  testTenantWebhook: endpoint({
    method: 'POST', path: '/tenants/{tenantId}/webhooks/{webhookId}/test', tag: 'Webhooks',
    summary: 'Send a signed webhook.test event now (outside the ordered stream); answers the delivery',
    params: tenantWebhookParams, response: deliverySchema, status: 200,
  }),
  listTenantWebhookDeliveries: endpoint({
    method: 'GET', path: '/tenants/{tenantId}/webhooks/{webhookId}/deliveries', tag: 'Webhooks',
    summary: 'The delivery log, newest first (every attempt; ?status=delivered|failed)',
    params: tenantWebhookParams, query: deliveryListQuerySchema, response: list(deliverySchema), status: 200,
  }),
  resendTenantWebhookDelivery: endpoint({
    method: 'POST', path: '/tenants/{tenantId}/webhooks/{webhookId}/deliveries/{deliveryId}/resend', tag: 'Webhooks',
    summary: "Send a delivery's event again now (same event id; 410 when retention removed it); answers the new delivery",
    params: tenantDeliveryParams, response: deliverySchema, status: 200,
  }),
  createApplication: endpoint({
    method: 'POST', path: '/applications', tag: 'Applications',
    summary: "Register an application (a client of the portal's OpenID Provider); a confidential one's clientSecret is in this answer only",
    body: applicationCreateSchema, response: applicationCreatedSchema, status: 201,
  }),
  listApplications: endpoint({
    method: 'GET', path: '/applications', tag: 'Applications', summary: 'List applications (no secrets)',
    query: listQuerySchema, response: list(applicationSchema), status: 200,
  }),
  getApplication: endpoint({
    method: 'GET', path: '/applications/{applicationId}', tag: 'Applications', summary: 'Get an application',
    params: applicationParams, response: applicationSchema, status: 200,
  }),
  updateApplication: endpoint({
    method: 'PATCH', path: '/applications/{applicationId}', tag: 'Applications',
    summary: 'Change any field of an application; records application.updated. Made public, it loses its client secret and every code, grant and token it holds (they would work without a secret); made confidential, it gets a new one, in this answer only',
    params: applicationParams, body: applicationPatchSchema, response: applicationCreatedSchema, status: 200,
  }),
  deleteApplication: endpoint({
    method: 'DELETE', path: '/applications/{applicationId}', tag: 'Applications', summary: 'Delete an application; its tokens stop working at once',
    params: applicationParams, status: 204,
  }),
  rotateApplicationSecret: endpoint({
    method: 'POST', path: '/applications/{applicationId}/rotate-secret', tag: 'Applications',
    summary: 'Make a new client secret (shown once); the old one stops working at once',
    params: applicationParams, response: z.object({ clientSecret: z.string() }), status: 200,
  }),
  listSigningKeys: endpoint({
    method: 'GET', path: '/oidc/signing-keys', tag: 'Applications',
    summary: "The OpenID Provider's signing keys (public parts): `current` signs, `next` is published ahead of signing, `retired` stays published until `publishedUntil`, when every token it signed has expired. They rotate on their own every 90 days",
    response: signingKeyListSchema, status: 200,
  }),
  rotateSigningKeys: endpoint({
    method: 'POST', path: '/oidc/signing-keys/rotate', tag: 'Applications',
    summary: 'Rotate now (a key suspected of exposure, a policy): the published `next` key signs from now on, the current one is retired, a new `next` is published; records oidc_signing_key.rotated. The retired key stays published only until the tokens it signed have expired (15 minutes; a scheduled rotation keeps it 8 hours), so that a key suspected of exposure is soon withdrawn: ID tokens it signed then no longer serve as logout hints, and RP-initiated logout asks the person instead. 409 while the `next` key has been published for less than 2 minutes (instances and relying parties must see it first)',
    response: signingKeyListSchema, status: 200,
  }),
  getBranding: endpoint({
    method: 'GET', path: '/branding', tag: 'Branding',
    summary: 'The product name, logo and accent colour on the pages customers and their employees see (sign-in, its errors, set-up links, the demo)',
    response: brandingSchema, status: 200,
  }),
  updateBranding: endpoint({
    method: 'PATCH', path: '/branding', tag: 'Branding',
    summary: 'Change the branding: productName (≤ 60 characters), accentColor (#rrggbb), logo (a data URL of a PNG, JPEG or WebP image, ≤ 256 KiB); null restores the default; records branding.updated',
    body: brandingPatchSchema, response: brandingSchema, status: 200,
  }),
  listSpEncryptionKeys: endpoint({
    method: 'GET', path: '/sp/encryption-keys', tag: 'Service provider',
    summary: 'The SAML encryption certificates the SP metadata publishes (two during a rollover)',
    response: z.object({ data: z.array(spKeySchema) }), status: 200,
  }),
  startSpKeyRollover: endpoint({
    method: 'POST', path: '/sp/encryption-keys/rollover', tag: 'Service provider',
    summary: 'Start a rollover: a new encryption certificate is published beside the current one, and both decrypt; 409 while one is under way',
    response: spKeySchema, status: 201,
  }),
  endSpKeyRollover: endpoint({
    method: 'POST', path: '/sp/encryption-keys/rollover/end', tag: 'Service provider',
    summary: 'End the rollover: `finish` keeps only the new certificate (IdPs must encrypt to it), `cancel` drops it; 409 when none is under way',
    body: spKeyEndSchema, response: spKeySchema, status: 200,
  }),
  createWebhook: endpoint({
    method: 'POST', path: '/webhooks', tag: 'Webhooks',
    summary: 'Create an operator-wide webhook or SIEM audit stream: events of every tenant and of the operator; the signing secret is in this answer only',
    body: webhookCreateSchema, response: webhookWithSecretSchema, status: 201,
  }),
  listWebhooks: endpoint({
    method: 'GET', path: '/webhooks', tag: 'Webhooks', summary: 'List operator-wide webhook endpoints with their health',
    query: webhookListQuerySchema, response: list(webhookSchema), status: 200,
  }),
  getWebhook: endpoint({
    method: 'GET', path: '/webhooks/{webhookId}', tag: 'Webhooks', summary: 'Get an operator-wide webhook endpoint',
    params: webhookParams, response: webhookSchema, status: 200,
  }),
  updateWebhook: endpoint({
    method: 'PATCH', path: '/webhooks/{webhookId}', tag: 'Webhooks', summary: 'Change the URL, events, description, or enable/disable',
    params: webhookParams, body: webhookPatchSchema, response: webhookSchema, status: 200,
  }),
  deleteWebhook: endpoint({
    method: 'DELETE', path: '/webhooks/{webhookId}', tag: 'Webhooks', summary: 'Delete an operator-wide webhook endpoint and its delivery log',
    params: webhookParams, status: 204,
  }),
  rotateWebhookSecret: endpoint({
    method: 'POST', path: '/webhooks/{webhookId}/rotate-secret', tag: 'Webhooks', summary: 'Make a new signing secret (shown once)',
    params: webhookParams, response: webhookWithSecretSchema, status: 200,
  }),
  testWebhook: endpoint({
    method: 'POST', path: '/webhooks/{webhookId}/test', tag: 'Webhooks', summary: 'Send a signed webhook.test event now; answers the delivery',
    params: webhookParams, response: deliverySchema, status: 200,
  }),
  listWebhookDeliveries: endpoint({
    method: 'GET', path: '/webhooks/{webhookId}/deliveries', tag: 'Webhooks', summary: 'The delivery log, newest first',
    params: webhookParams, query: deliveryListQuerySchema, response: list(deliverySchema), status: 200,
  }),
  resendWebhookDelivery: endpoint({
    method: 'POST', path: '/webhooks/{webhookId}/deliveries/{deliveryId}/resend', tag: 'Webhooks',
    summary: "Send a delivery's event again now; answers the new delivery",
    params: deliveryParams, response: deliverySchema, status: 200,
  }),
};

export type ApiEndpoints = typeof api;
