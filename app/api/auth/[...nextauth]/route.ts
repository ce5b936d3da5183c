import { NextRequest } from 'next/server';
import { readBody } from '@/lib/api/body';
import { handlers } from '@/lib/auth/config';
import { AppError } from '@/lib/errors';

/** Sign-in forms and session calls are small: a body is read up to this, never whole (Auth.js reads it whole). */
const AUTH_BODY_LIMIT = 16 * 1024;

export const { GET } = handlers;

export async function POST(req: NextRequest) {
  let body: string;
  try {
    body = await readBody(req, AUTH_BODY_LIMIT);
  } catch (e) {
    if (e instanceof AppError) return new Response(e.message, { status: e.status });
    throw e;
  }
  return handlers.POST(new NextRequest(req.url, { method: 'POST', headers: req.headers, body }));
}
