import { countScimRequest } from '@/lib/scim/metrics';
import { handleScim } from '@/lib/scim/server';

/** SCIM 2.0 (RFC 7644) for one directory: `{scimUrl}/Users`, `/Groups`, `/ServiceProviderConfig`, `/ResourceTypes`, `/Schemas`. */
type RouteCtx = { params: Promise<{ directoryId: string; path?: string[] }> };

async function handler(req: Request, ctx: RouteCtx): Promise<Response> {
  const { directoryId, path } = await ctx.params;
  const res = await handleScim(req, directoryId, path ?? []);
  await countScimRequest(directoryId, req.method, res.status);
  return res;
}

export const GET = handler;
export const POST = handler;
export const PUT = handler;
export const PATCH = handler;
export const DELETE = handler;
