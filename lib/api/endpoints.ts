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
import { connectionCreateSchema, connectionParams, connectionSchema } from '../validation/connections';
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
import { auditEventSchema, auditExportQuerySchema, auditListQuerySchema, auditVerifySchema } from '../validation/audit';
import { endpoint } from './endpoint';

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
  putProvisioning: endpoint({
    method: 'PUT', path: '/tenants/{tenantId}/provisioning', tag: 'Provisioning', summary: "Set a tenant's provisioning strategy",
    params: tenantIdParams, body: provisioningInputSchema, response: provisioningSchema, status: 200,
  }),
  getRoleMapping: endpoint({
    method: 'GET', path: '/tenants/{tenantId}/role-mappings', tag: 'Role mappings', summary: "Get a tenant's attribute-to-role rules",
    params: tenantIdParams, response: roleMappingSchema, status: 200,
  }),
  putRoleMapping: endpoint({
    method: 'PUT', path: '/tenants/{tenantId}/role-mappings', tag: 'Role mappings', summary: "Replace a tenant's attribute-to-role rules",
    params: tenantIdParams, body: roleMappingInputSchema, bodyValidatedByHandler: true, response: roleMappingSchema, status: 200,
  }),
  previewRoleMapping: endpoint({
    method: 'POST', path: '/tenants/{tenantId}/role-mappings/preview', tag: 'Role mappings', summary: 'Roles the stored rules give for these attributes',
    params: tenantIdParams, body: previewInputSchema, response: previewResultSchema, status: 200,
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
  deleteConnection: endpoint({
    method: 'DELETE', path: '/tenants/{tenantId}/connections/{connectionId}', tag: 'Connections', summary: 'Delete a connection',
    params: connectionParams, status: 204,
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
  exportAuditLogs: endpoint({
    method: 'GET', path: '/tenants/{tenantId}/audit-logs/export', tag: 'Audit log',
    summary: "Stream a tenant's audit events, oldest first, as CSV (text/csv) or NDJSON (application/x-ndjson); records audit.exported",
    params: tenantIdParams, query: auditExportQuerySchema, status: 200,
  }),
  verifyAuditLogs: endpoint({
    method: 'GET', path: '/tenants/{tenantId}/audit-logs/verify', tag: 'Audit log',
    summary: "Check a tenant's audit hash chain from its first event",
    params: tenantIdParams, response: auditVerifySchema, status: 200,
  }),
  createDirectory: endpoint({
    method: 'POST', path: '/tenants/{tenantId}/directories', tag: 'Directories',
    summary: 'Create a SCIM directory; the bearer token is in this answer only',
    params: tenantIdParams, body: directoryCreateSchema, response: directoryCreatedSchema, status: 201,
  }),
  listDirectories: endpoint({
    method: 'GET', path: '/tenants/{tenantId}/directories', tag: 'Directories', summary: "List a tenant's SCIM directories (no tokens)",
    params: tenantIdParams, response: list(directorySchema), status: 200,
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
};

export type ApiEndpoints = typeof api;
