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
};

export type ApiEndpoints = typeof api;
