import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { listSigningKeys, rotateSigningKeys } from '@/lib/applications/keys';
import { MAX_SIGNED_LIFETIME_SECONDS, resetOidcProvider } from '@/lib/applications/provider';

export const POST = handle(api.rotateSigningKeys, async ({ ctx }) => {
  // A key rotated on demand may be exposed: withdrawn once the tokens it signed have expired.
  await rotateSigningKeys({ force: true, keepRetiredSeconds: MAX_SIGNED_LIFETIME_SECONDS, by: ctx });
  // This instance signs with the new key at once; the others within 30 s (oidcProvider).
  resetOidcProvider();
  return listSigningKeys();
});
