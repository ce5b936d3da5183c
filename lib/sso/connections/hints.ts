/**
 * What to change when a test sign-in fails: one hint per typed failure reason
 * (./failures.ts), with a provider-specific wording where the fix is done differently in that
 * IdP's UI. `{acsUrl}`-style placeholders are filled with this portal's SP values.
 */
import type { LoginFailure } from '../failures';
import { fill, type ProviderId, type SpValues } from './guides';

type Hint = { default: string } & Partial<Record<ProviderId, string>>;

const CLOCK: Hint = {
  default:
    'The assertion’s validity window does not include the portal’s current time. Check that both the IdP server and the portal server keep time with NTP (more than 3 minutes apart is refused), then test again right after signing in.',
  okta: 'Okta’s clock is reliable, so check the portal server’s clock (NTP) and test again right after signing in.',
  entra: 'Entra ID’s clock is reliable, so check the portal server’s clock (NTP) and test again right after signing in.',
  google: 'Google’s clock is reliable, so check the portal server’s clock (NTP) and test again right after signing in.',
  adfs: 'Check the AD FS server’s time (w32tm /query /status; resync with w32tm /resync) and the portal server’s NTP. AD FS can also allow for skew: Set-AdfsRelyingPartyTrust -TargetName <trust> -NotBeforeSkew 2.',
};

const AUDIENCE: Hint = {
  default: 'Set the audience (SP entity ID) in the IdP to exactly {entityId} — same scheme, host, path and no trailing slash.',
  okta: 'In the Okta app: General → SAML Settings → Edit → “Audience URI (SP Entity ID)” must be exactly {entityId}.',
  entra: 'In Entra ID: Single sign-on → Basic SAML Configuration → “Identifier (Entity ID)” must be exactly {entityId}, ticked as Default.',
  google: 'In the Google Admin console: the app → Service provider details → “Entity ID” must be exactly {entityId}.',
  onelogin: 'In OneLogin: the app’s Configuration tab → “Audience (EntityID)” must be exactly {entityId}.',
  jumpcloud: 'In JumpCloud: the app’s SSO tab → “SP Entity ID” must be exactly {entityId}.',
  adfs: 'In AD FS: the relying party trust → Properties → Identifiers must contain exactly {entityId}.',
  ping: 'PingOne: the application’s “Entity ID”; PingFederate: the SP connection’s “Partner’s Entity ID” — must be exactly {entityId}.',
};

const ACS: Hint = {
  default: 'The IdP sends the response to another address. Set the ACS URL (Recipient and Destination) to exactly {acsUrl}, HTTP-POST binding.',
  okta: 'In the Okta app: SAML Settings → “Single sign-on URL” must be exactly {acsUrl}, with “Use this for Recipient URL and Destination URL” ticked.',
  entra: 'In Entra ID: Basic SAML Configuration → “Reply URL (Assertion Consumer Service URL)” must be exactly {acsUrl} (and the default one).',
  google: 'In the Google Admin console: Service provider details → “ACS URL” must be exactly {acsUrl}.',
  onelogin: 'In OneLogin: Configuration → “Recipient” and “ACS (Consumer) URL” must both be exactly {acsUrl}; the URL Validator must match it.',
  jumpcloud: 'In JumpCloud: SSO tab → ACS URLs → “Default URL” must be exactly {acsUrl}.',
  adfs: 'In AD FS: relying party trust → Endpoints → the SAML Assertion Consumer endpoint (POST, default) must be exactly {acsUrl}.',
  ping: 'PingOne: “ACS URLs”; PingFederate: Assertion Consumer Service URL (POST binding) — must be exactly {acsUrl}.',
};

const UNSIGNED: Hint = {
  default: 'Have the IdP sign the assertion (or the response and the assertion) with RSA-SHA256.',
  okta: 'In the Okta app: SAML Settings → Show Advanced Settings → “Assertion Signature: Signed”.',
  entra: 'In Entra ID: SAML Certificates → Edit → Signing Option “Sign SAML assertion” or “Sign SAML response and assertion”.',
  google: 'Google signs the assertion by default; re-download the metadata and check that the connection’s certificate is the app’s current one.',
  onelogin: 'In OneLogin: Configuration → “SAML signature element”: Assertion or Both.',
  jumpcloud: 'In JumpCloud: SSO tab → Sign: “Assertion” or “Response and Assertion”.',
  adfs: 'AD FS signs assertions by default; if changed: Set-AdfsRelyingPartyTrust -TargetName <trust> -SamlResponseSignature AssertionOnly (or MessageAndAssertion).',
  ping: 'PingOne: Signing → “Sign Assertion” (or Assertion and Response); PingFederate: Signature Policy → always sign the SAML assertion.',
};

const CERT: Hint = {
  default:
    'The response is signed with a certificate this connection does not trust (the IdP rotated its certificate, or the metadata is of another app). Download the IdP metadata again and update the connection.',
  okta: 'Okta signs with the app’s active SAML signing certificate: copy the app’s Metadata URL again (Sign On tab) and recreate the connection from it.',
  entra: 'Entra ID signs with the app’s Active certificate: under SAML Certificates, make sure the certificate in the metadata is the Active one, then re-import the App Federation Metadata.',
  adfs: 'AD FS signs with its token-signing certificate (Service → Certificates); after a rollover re-import FederationMetadata.xml.',
};

const SHA1: Hint = {
  default: 'SHA-1 signatures (and RSA 1.5 or Triple-DES encryption) are refused. Set the IdP’s signature and digest algorithm to SHA-256, and encryption to AES with RSA-OAEP.',
  okta: 'In the Okta app: Show Advanced Settings → Signature Algorithm “RSA-SHA256”, Digest Algorithm “SHA256”.',
  entra: 'In Entra ID: SAML Certificates → Edit → Signing Algorithm “SHA-256”.',
  onelogin: 'In OneLogin: Configuration → “SAML Signature Algorithm”: SHA-256.',
  jumpcloud: 'In JumpCloud: SSO tab → Signature Algorithm “RSA-SHA256”.',
  adfs: 'In AD FS: relying party trust → Properties → Advanced → Secure hash algorithm “SHA-256”.',
  ping: 'PingOne: Signing Algorithm RSA_SHA256; PingFederate: Signature Policy → Signing Algorithm “RSA SHA256”.',
};

const NOT_ASSIGNED: Hint = {
  default: 'The IdP refused the sign-in — usually because the person is not assigned to the application. Assign them (or their group) and test again.',
  okta: 'In the Okta app: Assignments tab → assign the person or a group they belong to.',
  entra: 'In Entra ID: the enterprise application → Users and groups → Add user/group (needed when “Assignment required?” is Yes).',
  google: 'In the Google Admin console: the app → User access → ON for the person’s organisational unit or group (changes can take a few minutes).',
  onelogin: 'In OneLogin: give the person access through a Role that includes the app, or on their Applications tab.',
  jumpcloud: 'In JumpCloud: the app’s User Groups tab → bind a group the person belongs to.',
  adfs: 'In AD FS: the relying party trust’s access control policy must permit the person; the AD FS/Admin event log names the cause.',
  ping: 'PingOne: the application’s Access tab must include a group of the person; PingFederate: check the server log for the refused request.',
  oidc: 'The provider answered with an error (access_denied: the person is not assigned to the app; invalid_client: wrong client ID or secret; redirect_uri mismatch: register {redirectUri} exactly).',
};

const EMAIL_MISSING: Hint = {
  default: 'Send the email address as the NameID in the emailAddress format, or as an attribute named “email”.',
  okta: 'In the Okta app: Name ID format “EmailAddress” and Application username “Email”, or an Attribute Statement email = user.email.',
  entra: 'In Entra ID: Attributes & Claims → Unique User Identifier = user.mail, format “Email address”; or a claim “email” = user.mail (empty namespace). The person must have a mail address.',
  google: 'In the Google Admin console: Service provider details → Name ID format EMAIL, Name ID “Basic Information > Primary email”.',
  onelogin: 'In OneLogin: Configuration → SAML nameID format “Email”, or a Parameter “email” = Email with “Include in SAML assertion”.',
  jumpcloud: 'In JumpCloud: SAMLSubject NameID “email” with format emailAddress, or an attribute “email”.',
  adfs: 'In AD FS: a claim rule sending E-Mail-Addresses as E-Mail Address and a rule transforming E-Mail Address to Name ID (Email). The AD account needs a mail attribute.',
  ping: 'PingOne: saml_subject = Email Address; PingFederate: SAML_SUBJECT = mail with format emailAddress.',
  oidc: 'The provider sent no email claim: the portal asks for the “openid email” scopes; make sure the person has an email address and the app may release it.',
};

const HINTS: { [K in LoginFailure]?: Hint } = {
  malformed_response: { default: 'The IdP’s answer is not a SAML response the portal can read. Check that the IdP posts a SAMLResponse to {acsUrl} with the HTTP-POST binding.' },
  response_too_large: { default: 'The response is over the size limit, usually because of very many group values. Send only the groups that matter to the role mappings (filter the group attribute).' },
  doctype_forbidden: { default: 'The response contains a DOCTYPE, which no standard IdP sends. Check for a proxy or custom code between the IdP and the portal.' },
  status_not_success: NOT_ASSIGNED,
  assertion_missing: { default: 'The response has no assertion, usually because the IdP refused the person (see its log) or encrypts the assertion.' },
  encrypted_assertion_unsupported: {
    default: 'The IdP encrypts the NameID or single attributes. Encrypt the whole assertion instead (or nothing), with the encryption certificate from the portal’s SP metadata ({metadataUrl}).',
  },
  decryption_failed: {
    default:
      'The assertion is encrypted to a certificate the portal does not hold, or could not be verified after decryption. Give the IdP the encryption certificate from the portal’s SP metadata ({metadataUrl}) — after an encryption key rollover, the new one — and make sure the IdP signs the assertion or the response.',
    okta: 'In the Okta app: Show Advanced Settings → Assertion Encryption “Encrypted”, Encryption Certificate: the portal’s encryption certificate (from {metadataUrl}), and keep “Assertion Signature: Signed”.',
    entra: 'In Entra ID: the application → Token encryption → Import certificate (the portal’s encryption certificate from {metadataUrl}) → Activate token encryption certificate.',
    adfs: 'In AD FS: relying party trust → Properties → Encryption → Browse… the portal’s encryption certificate (or update the trust from {metadataUrl}).',
    ping: 'PingFederate: SP connection → Credentials → select the portal’s encryption certificate; Encryption Policy → The entire assertion.',
  },
  encryption_unsupported: {
    default: 'Choose AES-256-GCM (or AES-CBC) for the assertion and RSA-OAEP for the key in the IdP’s encryption settings.',
    okta: 'In the Okta app: Encryption Algorithm “AES256-GCM” (or AES256-CBC), Key Transport Algorithm “RSA-OAEP”.',
    adfs: 'AD FS uses AES-256 with RSA-OAEP by default: check that the relying party trust was not set to another algorithm.',
  },
  assertion_not_encrypted: {
    default: 'This connection requires encrypted assertions. Turn assertion encryption on in the IdP with the portal’s encryption certificate ({metadataUrl}), or turn the requirement off on the connection.',
    okta: 'In the Okta app: Show Advanced Settings → Assertion Encryption “Encrypted”, and upload the portal’s encryption certificate.',
    entra: 'In Entra ID: the application → Token encryption → Import certificate → Activate token encryption certificate.',
  },
  multiple_assertions: { default: 'The response carries more than one assertion, which is refused. Configure the IdP to send one signed assertion.' },
  signature_missing: UNSIGNED,
  signature_invalid: CERT,
  weak_algorithm: SHA1,
  comment_forbidden: { default: 'The signed assertion contains XML comments. Remove comments from attribute values and templates in the IdP.' },
  issuer_mismatch: {
    default: 'The response names another IdP entity ID than the connection’s metadata. Import the metadata of this very application (each app can have its own issuer).',
    entra: 'Entra ID’s issuer is https://sts.windows.net/{tenant-id}/: import the App Federation Metadata of this application from the same Entra tenant.',
    okta: 'Each Okta app has its own issuer (http://www.okta.com/exk…): import the Metadata URL of this very app.',
  },
  audience_mismatch: AUDIENCE,
  recipient_mismatch: ACS,
  destination_mismatch: ACS,
  in_response_to_missing: {
    default:
      'The response does not answer the test request (no InResponseTo): the IdP started the sign-in itself. Start the test from the portal and sign in on the IdP page it opens, not from the IdP’s app launcher.',
  },
  in_response_to_mismatch: { default: 'The response answers an older or another request. Start the test again in one tab and finish it there.' },
  expired: CLOCK,
  not_yet_valid: CLOCK,
  subject_confirmation_expired: CLOCK,
  replayed: { default: 'This response was already used (back button or a refresh). Start the test again.' },
  unknown_connection: { default: 'No connection matches the IdP’s entity ID. Check the IdP metadata imported into this connection.' },
  unknown_request: { default: 'The test took longer than 10 minutes or was started elsewhere. Start it again.' },
  unsolicited_not_allowed: { default: 'The IdP started the sign-in itself, which this connection does not allow. Start the test from the portal, or allow IdP-initiated sign-in on the connection.' },
  state_mismatch: { default: 'The test was finished in another browser than the one that started it, or it expired. Start it again in one browser.' },
  idp_error: NOT_ASSIGNED,
  // The portal as OIDC relying party (lib/sso/oidc/rp.ts, lib/provisioning/jit.ts)
  id_token_invalid: {
    default:
      'The ID token failed a check: its signature does not match a key of the provider’s JWKS (jwks_uri), or its issuer, audience (the client ID), nonce or issue time is wrong. Check that the discovery URL is this very provider’s, that it signs with RS256/ES256 (not a client-secret HS256), and the clocks (NTP).',
  },
  idp_timeout: { default: 'The provider’s token, key (JWKS) or userinfo endpoint did not answer within 10 seconds. Check that it is up and reachable from the portal’s network, then test again.' },
  email_not_verified: {
    default:
      'The provider does not mark the email address as verified (email_verified). Have it send email_verified: true, or, for a provider that controls every address it issues but never sends the claim (Microsoft Entra ID), turn on “Trust email addresses the provider does not mark as verified” in the connection’s settings.',
  },
  identity_conflict: {
    default:
      'A user with this email already signs in with another account (another sub) of this provider. Use that account, or delete the portal user if the provider account was replaced, then sign in again.',
  },
  email_missing: EMAIL_MISSING,
  domain_not_allowed: { default: 'The person’s email domain is neither one of the organisation’s domains nor an allowed domain. Add the domain (Domains / Provisioning), or test with an account of that domain.' },
  user_not_provisioned: { default: 'The organisation provisions through SCIM and this person was not pushed by the directory. Assign them to the provisioning app in the IdP and push, then test again.' },
  user_suspended: { default: 'This person is suspended in the portal. Reactivate them on the Users page, or test with another account.' },
  above_connection_ceiling: {
    default:
      'This person holds console sections that the admin who set up or last changed this connection does not, so it may not sign them in. The operator, or an admin holding every section, lifts the limit on the connection’s page once they trust it.',
  },
  too_many_attributes: {
    default: 'The IdP sends more than the portal reads (at most 256 attributes, 1,000 values in one, 5,000 in all, 4,096 characters a value). Send only the attributes the role mappings use, and filter the groups claim to the groups that matter.',
    entra: 'In Entra ID: Attributes & Claims → Groups claim → “Groups assigned to the application” (or filter by name), and remove claims the portal does not use.',
    okta: 'In the Okta app: SAML Settings → Group Attribute Statements → filter (e.g. “Starts with” a prefix) instead of “Matches regex .*”.',
  },
  attributes_over_budget: {
    default: 'The role-mapping rules would take too long over what the IdP sends (many long group values and many “matches” rules). Filter the groups claim to the groups that matter, or replace “matches” rules by “contains”/“in” where a list of names will do.',
  },
  unknown_tenant: { default: 'No organisation matches; check the tenant’s domains.' },
  personal_email: { default: 'A personal address (Gmail, Outlook.com, …) names no organisation; test with a work address of the tenant’s domains.' },
  no_connection: { default: 'The organisation has no connection; add one first.' },
  connection_not_active: { default: 'The connection is not active yet: test it, then activate it on the connection’s page.' },
  service_unavailable: { default: 'The portal could not reach its database during the test: check the database, then test again.' },
  connection_misconfigured: {
    default: 'The identity provider’s sign-in location stored for this connection is not an https address. Upload the IdP’s current metadata again (a new connection), then test again.',
  },
  ip_not_allowed: { default: 'The organisation’s sign-in policy allows only listed networks, and this browser’s address is not one of them. Test from an allowed network, or add it to the policy.' },
  mfa_required: {
    default:
      'MFA is required, but the assertion’s AuthnContext (or the ID token’s amr/acr) does not show that a second factor was used. Require MFA for this app in the IdP so it reports it, or turn the requirement off for this connection.',
    okta: 'In Okta: Security → Authentication Policies → the app’s policy must require “Password + Another factor”; Okta then sends a multi-factor AuthnContext.',
    entra: 'In Entra ID: a Conditional Access policy for this app with “Require multifactor authentication”; Entra then sends the authnmethodsreferences claim with multipleauthn.',
    adfs: 'In AD FS: the relying party’s access control policy must require MFA (“Permit everyone and require MFA”).',
    ping: 'PingOne / PingFederate: use an authentication policy with an MFA step for this application.',
    oidc: 'The ID token has no amr/acr showing MFA: require MFA for this app in the provider (e.g. an authentication policy) so it reports amr “mfa”.',
  },
};

/** The fix hint for a failure, worded for the IdP when it has its own, with this portal's values filled in. */
export function hintFor(reason: string, provider: ProviderId, values: SpValues): string {
  const h = HINTS[reason as LoginFailure];
  if (!h) return 'Check the IdP’s settings against the set-up guide on this page and test again.';
  return fill(h[provider] ?? h.default, values);
}

/** For tests: the reasons that have a hint of their own. */
export const HINTED_REASONS = Object.keys(HINTS) as LoginFailure[];
