import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { listSpEncryptionKeys } from '@/lib/sso/saml/sp-keys';

export const GET = handle(api.listSpEncryptionKeys, async () => ({ data: await listSpEncryptionKeys() }));
