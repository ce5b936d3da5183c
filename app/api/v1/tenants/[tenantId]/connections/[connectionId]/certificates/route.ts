import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { addCertificate } from '@/lib/sso/saml/certificates';

export const POST = handle(api.addConnectionCertificate, async ({ params, body, ctx }) =>
  addCertificate(ctx, params.tenantId, params.connectionId, body),
);
