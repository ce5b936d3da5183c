import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { listSigningKeys } from '@/lib/applications/keys';

export const GET = handle(api.listSigningKeys, async () => listSigningKeys());
