import { AppError } from '../errors';
import { parseJson } from '../http/json';

export const MAX_BODY_BYTES = 1024 * 1024;

/** Reads a request body as text, refusing more than `limit` bytes (413) before reading it all. */
export async function readBody(req: Request, limit = MAX_BODY_BYTES): Promise<string> {
  const declared = Number(req.headers.get('content-length') ?? '0');
  if (declared > limit) throw new AppError(413, 'payload_too_large', `Request body is larger than ${limit} bytes`);
  if (!req.body) return '';
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw new AppError(413, 'payload_too_large', `Request body is larger than ${limit} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Parses a JSON body; malformed JSON is a 400 that says where. An empty POST or PATCH body is
 * `{}` (a POST whose fields are all optional needs none; a missing required field is named as
 * such). A PUT replaces a whole resource, so it must say what with.
 */
export async function readJson(req: Request, limit = MAX_BODY_BYTES): Promise<unknown> {
  const text = await readBody(req, limit);
  if (!text.trim()) {
    if (req.method === 'POST' || req.method === 'PATCH') return {};
    throw new AppError(400, 'invalid_json', 'Request body must be a JSON document');
  }
  return parseJson(text);
}

/** The path of the first string (or object key) that `bad` finds; null when none. */
function firstPath(value: unknown, bad: (s: string, isKey: boolean) => boolean, path: string[] = []): string | null {
  if (typeof value === 'string') return bad(value, false) ? path.join('.') || '(root)' : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = firstPath(value[i], bad, [...path, String(i)]);
      if (p) return p;
    }
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const p = bad(k, true) ? [...path, JSON.stringify(k).slice(1, -1).replace(/\\u0000/g, '\\0')].join('.') : firstPath(v, bad, [...path, k]);
      if (p) return p;
    }
  }
  return null;
}

/** The path of the first string (or object key) holding U+0000, which PostgreSQL cannot store; null when none. */
export const nulPath = (value: unknown): string | null => firstPath(value, (s) => s.includes('\u0000'));

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * In one walk, the first string or object key of a body that is not text to take in: holding NUL
 * (PostgreSQL cannot store it), holding a lone UTF-16 surrogate (JSON's `"\ud800"`: not Unicode
 * text), or a key longer than `maxKey` (`length` says how long); null when none.
 */
export function textProblem(value: unknown, maxKey = Infinity): { path: string; problem: 'nul' | 'lone_surrogate' | 'long_key'; length: number } | null {
  let problem: 'nul' | 'lone_surrogate' | 'long_key' | null = null;
  let length = 0;
  const path = firstPath(value, (s, isKey) => {
    problem = s.includes('\u0000') ? 'nul' : LONE_SURROGATE.test(s) ? 'lone_surrogate' : isKey && s.length > maxKey ? 'long_key' : null;
    length = s.length;
    return problem !== null;
  });
  return path === null || problem === null ? null : { path, problem, length };
}

/** Refuses input holding the NUL character with a 400 naming the field (`where` prefixes the path). */
export function refuseNul(value: unknown, where: string): void {
  const path = nulPath(value);
  if (path === null) return;
  const field = where ? `${where}${path === '(root)' ? '' : `.${path}`}` : path;
  throw new AppError(400, 'invalid_input', `Invalid input: ${field} must not contain the NUL character (U+0000)`, [
    { path: field, message: 'must not contain the NUL character (U+0000)' },
  ]);
}
