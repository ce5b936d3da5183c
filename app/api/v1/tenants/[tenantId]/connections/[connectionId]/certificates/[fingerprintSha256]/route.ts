import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { removeCertificate } from '@/lib/sso/saml/certificates';

export const DELETE = handle(api.removeConnectionCertificate, async ({ params, ctx }) => {
  await removeCertificate(ctx, params.tenantId, params.connectionId, params.fingerprintSha256);
});
