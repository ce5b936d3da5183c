/** Why a sign-in was refused: shared by the error page, the audit event and the logs. */
export const LOGIN_FAILURES = {
  malformed_response: 'The identity provider’s response could not be read.',
  response_too_large: 'The identity provider’s response is too large.',
  doctype_forbidden: 'The response contains a DOCTYPE, which is not allowed.',
  status_not_success: 'The identity provider reported that sign-in did not succeed.',
  assertion_missing: 'The response contains no assertion.',
  encrypted_assertion_unsupported: 'Encrypted NameIDs and encrypted attributes are not supported; encrypt the whole assertion instead.',
  decryption_failed: 'The encrypted assertion could not be decrypted and verified with the portal’s encryption certificate.',
  encryption_unsupported: 'The assertion is encrypted with an algorithm the portal does not accept; use AES-GCM or AES-CBC with RSA-OAEP.',
  assertion_not_encrypted: 'This connection accepts encrypted assertions only, and the assertion was not encrypted.',
  multiple_assertions: 'The response contains more than one assertion.',
  signature_missing: 'The assertion is not signed.',
  signature_invalid: 'The signature does not match the identity provider’s certificate.',
  weak_algorithm: 'The response uses a weak algorithm (a SHA-1 signature, or RSA 1.5 or Triple-DES encryption), which is not accepted; use SHA-256 and RSA-OAEP with AES.',
  comment_forbidden: 'The signed assertion contains XML comments, which are not accepted.',
  issuer_mismatch: 'The assertion comes from another identity provider than the connection’s.',
  audience_mismatch: 'The assertion is meant for another service provider (wrong audience / entity ID).',
  recipient_mismatch: 'The assertion is addressed to another ACS URL.',
  destination_mismatch: 'The response is addressed to another ACS URL.',
  in_response_to_missing: 'The response does not answer a sign-in started here.',
  in_response_to_mismatch: 'The response answers another sign-in request.',
  expired: 'The assertion has expired; check the clocks of the IdP and the portal.',
  not_yet_valid: 'The assertion is not valid yet; check the clocks of the IdP and the portal.',
  subject_confirmation_expired: 'The assertion’s subject confirmation has expired.',
  replayed: 'This assertion was already used.',
  unknown_connection: 'No connection is set up for this identity provider.',
  unknown_request: 'This sign-in was not started here, or took too long.',
  unsolicited_not_allowed: 'Sign-in started at the identity provider is not enabled for this connection.',
  state_mismatch: 'This sign-in was started in another browser or has expired; please start again.',
  idp_error: 'The identity provider refused the sign-in.',
  // The portal as OIDC relying party (lib/sso/oidc/rp.ts, lib/provisioning/jit.ts)
  id_token_invalid: 'The identity provider’s ID token failed verification (signature, issuer, audience, nonce or issue time).',
  idp_timeout: 'The identity provider did not answer in time; please try again.',
  email_not_verified: 'The identity provider did not confirm that your email address is verified, so it cannot sign you in here.',
  identity_conflict: 'This email address belongs to a user who signs in with another account at this identity provider.',
  email_missing: 'The identity provider sent no email address.',
  domain_not_allowed: 'Your email domain is not allowed for this organisation.',
  user_not_provisioned: 'Your account has not been provisioned by your organisation’s directory.',
  user_suspended: 'Your account is suspended.',
  above_connection_ceiling:
    'This connection was set up by an admin who may not vouch for your account (you hold console sections they do not). Sign in through another connection, or ask the operator or an admin holding every section to lift its limit.',
  // Budgets of work whose size the identity provider controls (lib/sso/flow.ts toIdpProfile, lib/provisioning/mapping.ts)
  too_many_attributes: 'The identity provider sent too many attributes or values, or a value that is too long (at most 256 attributes, 1,000 values in one, 5,000 in all, 4,096 characters a value).',
  attributes_over_budget: 'The identity provider sent more attribute values than this organisation’s role-mapping rules can check in time; ask your administrator to send fewer groups or to simplify the rules.',
  unknown_tenant: 'No organisation uses this email domain or name.',
  personal_email: 'That is a personal email address. Sign in with your work email, the address your organisation gave you.',
  no_connection: 'This organisation has no single sign-on connection yet.',
  // Sign-in policy (lib/policies)
  ip_not_allowed: 'Your organisation allows sign-in only from its own networks, and this connection comes from elsewhere.',
  mfa_required: 'Your organisation requires multi-factor authentication, and the identity provider did not confirm that it was used.',
  connection_not_active: 'This single sign-on connection has not been activated yet.',
  service_unavailable: 'Sign-in is unavailable for a moment (the portal cannot reach its database); please try again shortly.',
  connection_misconfigured: 'This connection’s identity provider location is not a safe https address; an admin must update the connection.',
} as const;

export type LoginFailure = keyof typeof LOGIN_FAILURES;

export class LoginRejected extends Error {
  constructor(
    readonly reason: LoginFailure,
    readonly status = 403,
    message?: string,
  ) {
    super(message ?? LOGIN_FAILURES[reason]);
  }
}

/** Mail providers whose addresses belong to people, never to an organisation: no tenant can own these domains. */
const PERSONAL_MAIL_DOMAINS = new Set([
  'gmail.com', 'googlemail.com', 'outlook.com', 'hotmail.com', 'live.com', 'msn.com', 'yahoo.com', 'ymail.com', 'icloud.com',
  'me.com', 'mac.com', 'aol.com', 'proton.me', 'protonmail.com', 'gmx.com', 'gmx.net', 'gmx.de', 'web.de', 'mail.com',
  'yandex.ru', 'yandex.com', 'mail.ru', 'qq.com', '163.com', '126.com', 'zoho.com', 'fastmail.com', 'hey.com', 'tutanota.com',
]);
export const isPersonalMailDomain = (domain: string) => PERSONAL_MAIL_DOMAINS.has(domain.toLowerCase());
