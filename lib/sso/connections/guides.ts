/**
 * Set-up guides for the identity providers customers use: what to paste into the IdP, where the
 * IdP shows its metadata (or discovery) URL, and which attributes the portal reads. Pure data
 * plus small helpers; the console renders it (components/connections/guide*.tsx) and the test
 * result uses `detectProvider` to pick provider-specific fix hints (./hints.ts).
 *
 * What the portal reads (lib/sso/flow.ts → toIdpProfile, and the SSO library's claim mapping):
 * - email: the `email` attribute, or the claim http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress,
 *   or else a NameID in the emailAddress format;
 * - firstName / lastName: `firstName` / `lastName`, or the givenname / surname claims;
 * - groups: `groups`, or http://schemas.xmlsoap.org/claims/Group, `group`, `memberOf`, or
 *   http://schemas.microsoft.com/ws/2008/06/identity/claims/groups.
 * OIDC: the `email`, `given_name`, `family_name` and `groups` claims; the portal asks for the
 * `openid email` scopes.
 */

export const PROVIDERS = ['okta', 'entra', 'google', 'onelogin', 'jumpcloud', 'adfs', 'ping', 'saml', 'oidc'] as const;
export type ProviderId = (typeof PROVIDERS)[number];

export const NAMEID_FORMAT_EMAIL = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
export const OIDC_SCOPES = 'openid email';

/** The values this portal gives every IdP. */
export type SpValues = {
  acsUrl: string;
  entityId: string;
  sloUrl: string;
  metadataUrl: string;
  nameIdFormat: string;
  redirectUri: string;
  scopes: string;
};
export type SpValueKey = keyof SpValues;

export function spValuesFrom(sp: { acsUrl: string; entityId: string; sloUrl: string; oidcRedirectUrl: string }): SpValues {
  return {
    acsUrl: sp.acsUrl,
    entityId: sp.entityId,
    sloUrl: sp.sloUrl,
    // The SP entity ID is the metadata URL (lib/sso/sp.ts); both are listed because IdPs ask for each.
    metadataUrl: sp.entityId,
    nameIdFormat: NAMEID_FORMAT_EMAIL,
    redirectUri: sp.oidcRedirectUrl,
    scopes: OIDC_SCOPES,
  };
}

/** An attribute (claim) the portal reads, and what to send as its value in this IdP. */
export type GuideAttribute = { name: 'email' | 'firstName' | 'lastName' | 'groups'; value: string };

export type Guide = {
  id: ProviderId;
  name: string;
  protocol: 'saml' | 'oidc';
  summary: string;
  /** The SP values to paste, labelled as this IdP labels its fields. */
  fields: { key: SpValueKey; label: string }[];
  /** Steps in the IdP's admin UI; `{acsUrl}`-style placeholders are filled with the SP values. */
  steps: string[];
  attributes: GuideAttribute[];
  /** Where the IdP shows the metadata URL (SAML) or discovery URL (OIDC) to give the portal. */
  metadata: { label: string; where: string; example?: string };
  /** SAML, optional: how to encrypt assertions to the portal's encryption certificate (in the SP metadata). */
  encryption?: string;
  /** SAML, optional: how to turn on single logout with the portal's SLO URL. */
  singleLogout?: string;
};

const SAML_ATTRS = (email: string, first: string, last: string, groups: string): GuideAttribute[] => [
  { name: 'email', value: email },
  { name: 'firstName', value: first },
  { name: 'lastName', value: last },
  { name: 'groups', value: groups },
];

export const GUIDES: Record<ProviderId, Guide> = {
  okta: {
    id: 'okta',
    name: 'Okta',
    protocol: 'saml',
    summary: 'A SAML 2.0 app integration in the Okta Admin Console.',
    fields: [
      { key: 'acsUrl', label: 'Single sign-on URL' },
      { key: 'entityId', label: 'Audience URI (SP Entity ID)' },
      { key: 'nameIdFormat', label: 'Name ID format (EmailAddress)' },
      { key: 'metadataUrl', label: 'SP metadata URL' },
    ],
    steps: [
      'Applications → Applications → Create App Integration → SAML 2.0 → Next; give the app a name.',
      'Single sign-on URL: paste the ACS URL and keep “Use this for Recipient URL and Destination URL” ticked.',
      'Audience URI (SP Entity ID): paste the SP entity ID. Name ID format: EmailAddress; Application username: Email.',
      'Show Advanced Settings: Response and Assertion Signature “Signed”, Signature Algorithm RSA-SHA256, Digest Algorithm SHA256.',
      'Attribute Statements: add email, firstName and lastName (below); Group Attribute Statements: name “groups”, filter “Matches regex .*” (or narrower).',
      'Finish, then on the Assignments tab assign the people or groups who may sign in.',
    ],
    attributes: SAML_ATTRS('user.email', 'user.firstName', 'user.lastName', 'Group Attribute Statement “groups”'),
    metadata: {
      label: 'Metadata URL',
      where: 'The app’s Sign On tab → SAML 2.0 section → “Metadata URL” (copy it), or View SAML setup instructions → IdP metadata.',
      example: 'https://{yourOktaOrg}.okta.com/app/{appId}/sso/saml/metadata',
    },
    encryption: 'Show Advanced Settings → Assertion Encryption “Encrypted”, Encryption Algorithm AES256-GCM, Key Transport Algorithm RSA-OAEP, Encryption Certificate: upload the encryption certificate from the SP metadata ({metadataUrl}).',
    singleLogout: 'Show Advanced Settings → tick “Enable Single Logout”: Single Logout URL = {sloUrl}, SP Issuer = {entityId}, Signature Certificate: upload the signing certificate from the SP metadata.',
  },
  entra: {
    id: 'entra',
    name: 'Microsoft Entra ID',
    protocol: 'saml',
    summary: 'An enterprise application with SAML single sign-on in the Microsoft Entra admin center.',
    fields: [
      { key: 'entityId', label: 'Identifier (Entity ID)' },
      { key: 'acsUrl', label: 'Reply URL (Assertion Consumer Service URL)' },
      { key: 'nameIdFormat', label: 'Name identifier format (Email address)' },
      { key: 'metadataUrl', label: 'SP metadata URL (Upload metadata file)' },
    ],
    steps: [
      'Identity → Applications → Enterprise applications → New application → Create your own application → “Integrate any other application you don’t find in the gallery (Non-gallery)”.',
      'Single sign-on → SAML. Basic SAML Configuration → Edit: Identifier (Entity ID) = the SP entity ID (tick Default); Reply URL = the ACS URL. Save.',
      'Attributes & Claims → Edit: Unique User Identifier (Name ID) = user.mail with format “Email address”; add the claims below (clear the Namespace field for each).',
      'For groups: Add a group claim → Security groups (or Groups assigned to the application), Source attribute “Cloud-only group display names” or sAMAccountName; Customize the name to “groups”.',
      'SAML Certificates: Signing Option “Sign SAML assertion” (or response and assertion), Signing Algorithm SHA-256.',
      'Users and groups → Add user/group: assign who may sign in.',
    ],
    attributes: SAML_ATTRS('user.mail', 'user.givenname', 'user.surname', 'user.groups (group claim named “groups”)'),
    metadata: {
      label: 'App Federation Metadata Url',
      where: 'Single sign-on → SAML Certificates → “App Federation Metadata Url” (copy), or download “Federation Metadata XML”.',
      example: 'https://login.microsoftonline.com/{tenant-id}/federationmetadata/2007-06/federationmetadata.xml?appid={app-id}',
    },
    encryption: 'Token encryption → Import certificate: the encryption certificate from the SP metadata ({metadataUrl}) → right-click it → Activate token encryption certificate.',
    singleLogout: 'Basic SAML Configuration → Edit: Logout Url (Optional) = {sloUrl}.',
  },
  google: {
    id: 'google',
    name: 'Google Workspace',
    protocol: 'saml',
    summary: 'A custom SAML app in the Google Admin console.',
    fields: [
      { key: 'acsUrl', label: 'ACS URL' },
      { key: 'entityId', label: 'Entity ID' },
      { key: 'nameIdFormat', label: 'Name ID format (EMAIL)' },
    ],
    steps: [
      'Apps → Web and mobile apps → Add app → Add custom SAML app; name it and Continue.',
      'Google Identity Provider details: download the IdP metadata (Option 1) and keep it for the portal; Continue.',
      'Service provider details: ACS URL = the ACS URL, Entity ID = the SP entity ID; leave Signed response off (the assertion is signed); Name ID format EMAIL, Name ID “Basic Information > Primary email”.',
      'Attribute mapping: add the attributes below; under Group membership pick the groups to send and name the app attribute “groups”.',
      'Finish, then User access → turn the app ON for the organisational units or groups who may sign in (it can take a few minutes to apply).',
    ],
    attributes: SAML_ATTRS('Primary email', 'First name', 'Last name', 'Group membership → app attribute “groups”'),
    metadata: {
      label: 'IdP metadata (file)',
      where: 'Google offers no metadata URL: on the app’s page use “Download metadata” (or Option 1 while creating the app) and paste or upload the file.',
    },
  },
  onelogin: {
    id: 'onelogin',
    name: 'OneLogin',
    protocol: 'saml',
    summary: 'A “SAML Custom Connector (Advanced)” application in OneLogin.',
    fields: [
      { key: 'entityId', label: 'Audience (EntityID)' },
      { key: 'acsUrl', label: 'Recipient and ACS (Consumer) URL' },
      { key: 'nameIdFormat', label: 'SAML nameID format (Email)' },
    ],
    steps: [
      'Applications → Add App → search “SAML Custom Connector (Advanced)” → Save.',
      'Configuration tab: Audience (EntityID) = the SP entity ID; Recipient and ACS (Consumer) URL = the ACS URL; ACS (Consumer) URL Validator = the ACS URL with dots escaped (e.g. ^https://portal\\.example\\.com/api/oauth/saml$).',
      'SAML initiator “Service Provider”; SAML nameID format “Email”; SAML signature element “Assertion” (or Both); SAML Signature Algorithm SHA-256. Save.',
      'Parameters tab: add email, firstName, lastName (tick “Include in SAML assertion”) and groups (value “User Roles” or a MemberOf macro; tick “Include in SAML assertion” and “Multi-value parameter”).',
      'Grant access through Users or Roles (Access tab).',
    ],
    attributes: SAML_ATTRS('Email', 'First Name', 'Last Name', 'User Roles (multi-value)'),
    metadata: {
      label: 'Issuer URL / metadata',
      where: 'The app’s SSO tab → “Issuer URL” is the metadata URL; or More Actions → SAML Metadata to download it.',
      example: 'https://{subdomain}.onelogin.com/saml/metadata/{app-id}',
    },
    encryption: 'Configuration → tick “Encrypt assertion” (the SP encryption certificate is taken from the SP metadata, {metadataUrl}).',
    singleLogout: 'Configuration → SAML Single Logout URL = {sloUrl}; SSO tab → SAML Signature Algorithm SHA-256.',
  },
  jumpcloud: {
    id: 'jumpcloud',
    name: 'JumpCloud',
    protocol: 'saml',
    summary: 'A custom SAML 2.0 application in the JumpCloud Admin Portal.',
    fields: [
      { key: 'entityId', label: 'SP Entity ID' },
      { key: 'acsUrl', label: 'ACS URLs (Default URL)' },
      { key: 'nameIdFormat', label: 'SAMLSubject NameID Format' },
    ],
    steps: [
      'SSO Applications → Add New Application → Custom Application → Manage Single Sign-On (SSO) → Configure SSO with SAML.',
      'SSO tab: IdP Entity ID = a unique value (e.g. your portal name); SP Entity ID = the SP entity ID; ACS URLs → Default URL = the ACS URL.',
      'SAMLSubject NameID “email”, NameID Format emailAddress; Signature Algorithm RSA-SHA256; Sign “Assertion” (or Response and Assertion).',
      'Attributes: add email, firstName, lastName (below); tick “Include group attribute” and name it “groups”.',
      'User Groups tab: bind the groups who may sign in. Activate / Save.',
    ],
    attributes: SAML_ATTRS('email', 'firstname', 'lastname', 'Include group attribute → “groups”'),
    metadata: {
      label: 'IdP metadata (file)',
      where: 'The application’s SSO tab → “Export Metadata” downloads the XML; paste or upload it here.',
    },
    singleLogout: 'SSO tab → Single Logout: enable it, SP SLO URL = {sloUrl}.',
  },
  adfs: {
    id: 'adfs',
    name: 'Active Directory Federation Services (ADFS)',
    protocol: 'saml',
    summary: 'A relying party trust in AD FS Management.',
    fields: [
      { key: 'metadataUrl', label: 'Federation metadata address (Add Relying Party Trust)' },
      { key: 'entityId', label: 'Relying party trust identifier' },
      { key: 'acsUrl', label: 'SAML 2.0 SSO service URL (Endpoints, POST)' },
      { key: 'nameIdFormat', label: 'Outgoing name ID format (Email)' },
    ],
    steps: [
      'AD FS Management → Relying Party Trusts → Add Relying Party Trust → Claims aware → “Import data about the relying party published online” with the SP metadata URL (or enter the entity ID and ACS URL by hand).',
      'Choose an access control policy that permits the people who may sign in; finish.',
      'Edit Claim Issuance Policy → Add Rule “Send LDAP Attributes as Claims” (Active Directory): E-Mail-Addresses → E-Mail Address, Given-Name → Given Name, Surname → Surname, Token-Groups - Unqualified Names → Group.',
      'Add Rule “Transform an Incoming Claim”: E-Mail Address → Name ID, outgoing format Email.',
      'Properties → Advanced: Secure hash algorithm SHA-256.',
    ],
    attributes: SAML_ATTRS(
      'E-Mail-Addresses → E-Mail Address claim',
      'Given-Name → Given Name claim',
      'Surname → Surname claim',
      'Token-Groups - Unqualified Names → Group claim',
    ),
    metadata: {
      label: 'Federation metadata URL',
      where: 'AD FS Management → Service → Endpoints → Metadata: the FederationMetadata.xml path on your AD FS host.',
      example: 'https://{adfs-host}/FederationMetadata/2007-06/FederationMetadata.xml',
    },
    encryption: 'Relying party trust → Properties → Encryption → Browse…: the encryption certificate from the SP metadata ({metadataUrl}); or create the trust from that metadata URL, which carries it.',
    singleLogout: 'Relying party trust → Properties → Endpoints → Add SAML → SAML Logout, Binding Redirect, Trusted URL = {sloUrl}; Signature tab: the SP signing certificate from the SP metadata.',
  },
  ping: {
    id: 'ping',
    name: 'PingFederate / PingOne',
    protocol: 'saml',
    summary: 'A SAML application in PingOne, or an SP connection in PingFederate.',
    fields: [
      { key: 'acsUrl', label: 'ACS URLs (PingOne) / Endpoint URL, POST (PingFederate)' },
      { key: 'entityId', label: 'Entity ID (PingOne) / Partner’s Entity ID (PingFederate)' },
      { key: 'metadataUrl', label: 'SP metadata URL (Import metadata)' },
      { key: 'nameIdFormat', label: 'Subject name ID format' },
    ],
    steps: [
      'PingOne: Applications → Applications → + → SAML Application; import the SP metadata URL, or enter ACS URLs and Entity ID by hand. Signing: “Sign Assertion”, RSA_SHA256.',
      'PingOne Attribute Mappings: saml_subject = Email Address; add email, firstName, lastName and groups (Group Names). Access: add the groups who may sign in. Enable the application.',
      'PingFederate: SP Connections → Create Connection → Browser SSO (SAML 2.0); import the SP metadata URL or set Partner’s Entity ID; Assertion Consumer Service URL = the ACS URL with POST binding.',
      'PingFederate Attribute Contract: SAML_SUBJECT = mail (format emailAddress), plus email, firstName, lastName, groups; Signature Policy: always sign the assertion, RSA SHA256.',
    ],
    attributes: SAML_ATTRS('Email Address / mail', 'Given Name / givenName', 'Family Name / sn', 'Group Names / memberOf'),
    metadata: {
      label: 'IdP metadata URL',
      where: 'PingOne: the application’s Configuration tab → “IDP Metadata URL”. PingFederate: /pf/federation_metadata.ping?PartnerSpId=<SP entity ID> on the runtime host, or export it under System → Protocol Metadata.',
      example: 'https://auth.pingone.com/{environment-id}/saml20/metadata/{application-id}',
    },
    encryption: 'SP connection → Credentials → Encryption: the encryption certificate from the SP metadata ({metadataUrl}); Encryption Policy → The entire assertion (AES-256, RSA-OAEP).',
    singleLogout: 'SP connection → SAML Profiles: tick SP-initiated and IdP-initiated SLO; Protocol Settings → SLO Service URLs: Redirect binding, {sloUrl}.',
  },
  saml: {
    id: 'saml',
    name: 'Other SAML 2.0 provider',
    protocol: 'saml',
    summary: 'Any SAML 2.0 identity provider that signs its assertions with SHA-256.',
    fields: [
      { key: 'acsUrl', label: 'Assertion Consumer Service URL (HTTP-POST)' },
      { key: 'entityId', label: 'SP entity ID / Audience' },
      { key: 'metadataUrl', label: 'SP metadata URL' },
      { key: 'nameIdFormat', label: 'NameID format' },
    ],
    steps: [
      'Create a SAML 2.0 service provider / application in your IdP; import the SP metadata URL if it can, otherwise paste the ACS URL (HTTP-POST binding) and the SP entity ID (audience).',
      'Send the email address as the NameID (emailAddress format) or as an “email” attribute, and the attributes below.',
      'Sign the assertion (or response and assertion) with RSA-SHA256.',
      'Allow the people who should sign in to use the application.',
    ],
    attributes: SAML_ATTRS('the user’s email address', 'given name', 'family name', 'group names (multi-valued)'),
    metadata: {
      label: 'IdP metadata',
      where: 'Your IdP’s metadata XML (often at a /metadata address); paste it, upload the file or give its URL.',
    },
    encryption: 'Encrypt the whole assertion with AES-GCM (or AES-CBC) and RSA-OAEP to the encryption certificate in the SP metadata ({metadataUrl}), with the EncryptedKey inside the EncryptedData’s KeyInfo.',
    singleLogout: 'Single logout: the SP’s SLO service is {sloUrl} (HTTP-Redirect and HTTP-POST); logout messages must be signed with RSA-SHA256.',
  },
  oidc: {
    id: 'oidc',
    name: 'OpenID Connect provider',
    protocol: 'oidc',
    summary: 'Any OpenID Connect provider (Okta, Entra ID, Google, Auth0, Keycloak, …) with the authorization code flow.',
    fields: [
      { key: 'redirectUri', label: 'Redirect URI (sign-in redirect / callback URL)' },
      { key: 'scopes', label: 'Scopes the portal requests' },
    ],
    steps: [
      'Register a web application (confidential client) using the authorization code flow; add the redirect URI exactly as shown.',
      'Copy the client ID and create a client secret; note the provider’s discovery URL (ends in /.well-known/openid-configuration).',
      'Make sure the ID token or userinfo carries email, given_name, family_name and, for role mappings, a “groups” claim (Okta: a Groups claim filter; Entra: Token configuration → Add groups claim).',
      'Assign the people who may sign in to the application.',
      'The portal accepts only email addresses the provider marks as verified (email_verified: true). Microsoft Entra ID never sends that claim: for an Entra ID connection, turn on “Trust email addresses the provider does not mark as verified” in the connection’s settings (only for a provider that controls every address it issues); even then an unverified address never joins an existing user to a new account.',
    ],
    attributes: [
      { name: 'email', value: 'email claim' },
      { name: 'firstName', value: 'given_name claim' },
      { name: 'lastName', value: 'family_name claim' },
      { name: 'groups', value: 'groups claim' },
    ],
    metadata: {
      label: 'Discovery URL',
      where:
        'Okta: https://{yourOktaOrg}.okta.com/.well-known/openid-configuration (or your authorization server’s). Entra ID: App registrations → Endpoints → “OpenID Connect metadata document”. Google: https://accounts.google.com/.well-known/openid-configuration.',
      example: 'https://login.microsoftonline.com/{tenant-id}/v2.0/.well-known/openid-configuration',
    },
  },
};

export function isProviderId(v: unknown): v is ProviderId {
  return typeof v === 'string' && (PROVIDERS as readonly string[]).includes(v);
}

/** Fills `{acsUrl}`-style placeholders with the SP values. */
export function fill(text: string, values: SpValues): string {
  return text.replace(/\{(acsUrl|entityId|sloUrl|metadataUrl|nameIdFormat|redirectUri|scopes)\}/g, (_, k: SpValueKey) => values[k]);
}

/**
 * Which product an IdP most likely is, from the addresses in its metadata or discovery document:
 * enough to pick the right fix hints. Falls back to the generic guide of the protocol.
 */
export function detectProvider(type: 'saml' | 'oidc', idp: { entityId?: string; ssoUrl?: string; issuer?: string }): ProviderId {
  const hay = [idp.entityId, idp.ssoUrl, idp.issuer].filter(Boolean).join(' ').toLowerCase();
  if (type === 'oidc') return 'oidc';
  if (/\.okta(preview)?\.com|\.oktapreview\.com|exk[a-z0-9]{10,}/.test(hay)) return 'okta';
  if (/sts\.windows\.net|login\.microsoftonline\.com|login\.microsoft\.com/.test(hay)) return 'entra';
  if (/accounts\.google\.com/.test(hay)) return 'google';
  if (/\.onelogin\.com/.test(hay)) return 'onelogin';
  if (/jumpcloud\.com/.test(hay)) return 'jumpcloud';
  if (/\/adfs\/|\/adfs\/services\/trust/.test(hay)) return 'adfs';
  if (/pingone\.|pingidentity\.com|\/idp\/sso\.saml2|\/pf\//.test(hay)) return 'ping';
  return 'saml';
}
