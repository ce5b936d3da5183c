import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { brandingView, updateBranding } from '@/lib/branding/branding';

export const GET = handle(api.getBranding, async () => brandingView());

export const PATCH = handle(api.updateBranding, async ({ body, ctx }) => updateBranding(ctx, body));
