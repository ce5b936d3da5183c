export const OPERATOR_KEY = 'test-operator-key-0123456789';

type RouteFn = (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;

/** Calls a route handler the way Next.js would, with the bootstrap operator key unless told otherwise. */
export async function call(
  fn: RouteFn,
  opts: {
    method?: string;
    path?: string;
    params?: Record<string, string>;
    body?: unknown;
    rawBody?: string;
    key?: string | null;
    headers?: Record<string, string>;
  } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = { ...opts.headers };
  const key = opts.key === undefined ? OPERATOR_KEY : opts.key;
  if (key) headers.authorization = `Bearer ${key}`;
  let body: string | undefined = opts.rawBody;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  const req = new Request(`http://localhost${opts.path ?? '/'}`, { method: opts.method ?? 'GET', headers, body });
  const res = await fn(req, { params: Promise.resolve(opts.params ?? {}) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

let n = 0;
/** A domain no other test uses. */
export const uniqueDomain = (label = 'corp') => `${label}-${process.pid}-${Date.now().toString(36)}-${n++}.example.com`;
