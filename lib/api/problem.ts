import type { FieldError } from '../errors';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** An RFC 9457 problem+json answer. */
export function problem(
  status: number,
  detail: string,
  opts: { code?: string; errors?: FieldError[]; requestId?: string; headers?: Record<string, string> } = {},
): Response {
  const body = {
    type: `about:blank#${opts.code ?? String(status)}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    ...(opts.errors?.length ? { errors: opts.errors } : {}),
    ...(opts.requestId ? { requestId: opts.requestId } : {}),
  };
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/problem+json', ...opts.headers },
  });
}
