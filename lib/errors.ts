export type FieldError = { path: string; message: string };

/** A typed error that route wrappers and actions turn into a 4xx/5xx answer. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors?: FieldError[],
  ) {
    super(message);
  }
}

export const notFound = (what = 'Resource') => new AppError(404, 'not_found', `${what} not found`);
export const conflict = (path: string, message: string) =>
  new AppError(409, 'conflict', message, [{ path, message }]);
export const forbidden = (path: string, message: string) => new AppError(403, 'forbidden', message, [{ path, message }]);
export const badRequest = (message: string, errors?: FieldError[]) =>
  new AppError(400, 'invalid_input', message, errors);

/** The PostgreSQL error underneath a driver/ORM error, if any (drizzle wraps them). */
export function pgError(err: unknown): { code?: string; constraint?: string; detail?: string } | null {
  let e: unknown = err;
  for (let i = 0; i < 4 && e && typeof e === 'object'; i++) {
    const o = e as { code?: unknown; constraint?: string; detail?: string; cause?: unknown };
    if (typeof o.code === 'string' && /^[0-9A-Z]{5}$/.test(o.code)) return o as { code: string };
    e = o.cause;
  }
  return null;
}

export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const pg = pgError(err);
  if (!pg || pg.code !== '23505') return false;
  if (!constraint) return true;
  return pg.constraint === constraint || (pg.detail ?? '').includes(constraint) || String((err as Error).message ?? '').includes(constraint);
}

/** The database is unreachable, as the portal reports it where the driver's error would say too much or too little (the SSO library's storage, a session check, a shutdown). */
export class DatabaseUnavailable extends Error {
  override name = 'DatabaseUnavailable';
}

/** Is this the database being unreachable (answer 503, retry later) rather than a bug? */
export function isDatabaseUnavailable(err: unknown): boolean {
  let e: unknown = err;
  for (let i = 0; i < 4 && e && typeof e === 'object'; i++) {
    // By name, not instanceof: Next.js bundles a module once per server chunk, so the class is not always this one.
    if ((e as Error).name === 'DatabaseUnavailable') return true;
    const o = e as { code?: unknown; message?: unknown; cause?: unknown };
    // Unreachable, shut down, or busy past the bounded waits (lock_timeout 55P03, statement_timeout 57014).
    if (typeof o.code === 'string' && /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|57P0[1-3]|08\d{3}|55P03|57014)$/.test(o.code)) return true;
    if (typeof o.message === 'string' && /Connection terminated|and is not queryable|timeout exceeded when trying to connect|did not start in time/i.test(o.message)) return true;
    e = o.cause;
  }
  return false;
}
