import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { startSpKeyRollover } from '@/lib/sso/saml/sp-keys';

export const POST = handle(api.startSpKeyRollover, async ({ ctx }) => startSpKeyRollover(ctx));
