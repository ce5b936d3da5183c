import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { env } from '../env';
import { createIdpKeyPair, TestSamlIdp, type IdpKeyPair } from './saml-idp';

/**
 * The built-in demo identity provider (DEMO_MODE only): a SAML IdP served by the portal itself
 * at /demo-idp, so a newcomer can sign in without an IdP of their own. Its key is kept under
 * DATA_DIR so the demo connection keeps working across restarts.
 */
export const DEMO_DOMAIN = 'demo.example.com';

export const DEMO_USERS = [
  { email: `ada@${DEMO_DOMAIN}`, firstName: 'Ada', lastName: 'Lovelace', groups: ['Engineering'] },
  { email: `grace@${DEMO_DOMAIN}`, firstName: 'Grace', lastName: 'Hopper', groups: ['IT', 'Engineering'] },
  { email: `alan@${DEMO_DOMAIN}`, firstName: 'Alan', lastName: 'Turing', groups: ['Research'] },
];

let cached: TestSamlIdp | undefined;

export function demoIdp(): TestSamlIdp {
  if (cached) return cached;
  const e = env();
  const file = path.join(e.DATA_DIR, 'demo-idp-key.json');
  let keyPair: IdpKeyPair;
  if (existsSync(file)) {
    keyPair = JSON.parse(readFileSync(file, 'utf8')) as IdpKeyPair;
  } else {
    keyPair = createIdpKeyPair({ commonName: 'Portal demo IdP', validDays: 3650 });
    mkdirSync(e.DATA_DIR, { recursive: true });
    writeFileSync(file, JSON.stringify(keyPair), { mode: 0o600 });
  }
  cached = new TestSamlIdp({ entityId: `${e.PUBLIC_URL}/demo-idp/metadata`, ssoUrl: `${e.PUBLIC_URL}/demo-idp/sso`, sloUrl: `${e.PUBLIC_URL}/demo-idp/slo`, keyPair });
  return cached;
}
