import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { endSpKeyRollover } from '@/lib/sso/saml/sp-keys';

export const POST = handle(api.endSpKeyRollover, async ({ body, ctx }) => endSpKeyRollover(ctx, body.how));
