import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { rotateSigningKeysNow } from '@/lib/applications/provider';

export const POST = handle(api.rotateSigningKeys, ({ ctx }) => rotateSigningKeysNow(ctx));
