import SCIMMY from 'scimmy';

/**
 * SCIMMY, set up once per process. Only process-wide, request-independent configuration lives
 * here: every per-request value (the directory, its base URL, the transaction) is passed as an
 * argument, never stored on SCIMMY's static classes (no `basepath()`, no ingress/egress
 * handlers), so concurrent requests of several directories cannot see each other's state.
 */

export const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_USER = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** Most resources one list page returns (ServiceProviderConfig filter.maxResults). */
export const MAX_RESULTS = 500;

/** Once per SCIMMY module instance (a bundler may load more than one; each is set up alike). */
function setUp() {
  if (SCIMMY.Resources.declared('User')) return;
  SCIMMY.Resources.declare(SCIMMY.Resources.User.extend(SCIMMY.Schemas.EnterpriseUser, false));
  SCIMMY.Resources.declare(SCIMMY.Resources.Group);
  // RFC 7643 calls `type` values "canonical" suggestions; real IdPs send others ("Work",
  // Entra's "WindowsAzureActiveDirectoryRole"), and SCIMMY's `roles.type` / `x509Certificates.type`
  // allow none at all (an empty list). Accept any string there.
  for (const attr of ['emails', 'phoneNumbers', 'ims', 'photos', 'addresses', 'roles', 'x509Certificates', 'entitlements']) {
    const a = SCIMMY.Schemas.User.definition.attribute(`${attr}.type`) as unknown as { config: { canonicalValues: unknown } };
    if (a) a.config.canonicalValues = false;
  }
  SCIMMY.Config.set({
    documentationUri: 'https://datatracker.ietf.org/doc/html/rfc7644',
    patch: true,
    filter: MAX_RESULTS,
    bulk: false,
    changePassword: false,
    sort: false,
    etag: false,
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: "Authentication with the directory's bearer token (Authorization: Bearer <token>)",
        specUri: 'https://datatracker.ietf.org/doc/html/rfc6750',
      },
    ],
  });
}

setUp();

export { SCIMMY };
export const ScimError = SCIMMY.Types.Error;
export type ScimErrorT = InstanceType<typeof SCIMMY.Types.Error>;
