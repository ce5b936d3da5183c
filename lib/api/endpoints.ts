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
};

export type ApiEndpoints = typeof api;
