import { isDatabaseUnavailable } from './errors';

type Level = 'debug' | 'info' | 'warn' | 'error';
const order: Record<Level | 'silent', number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

function threshold(): number {
  const l = (process.env.LOG_LEVEL ?? 'info') as Level | 'silent';
  return order[l] ?? order.info;
}

/**
 * An error as a log line holds it: name, message, code, Next.js's digest (shown on the error page)
 * and its causes. A failed query names its statement, never its parameters (people's addresses,
 * ids, hashes): drizzle puts them in the message.
 */
function errorFields(e: Error, depth = 0): Record<string, unknown> {
  const o = e as Error & { code?: unknown; query?: unknown; params?: unknown; digest?: unknown };
  const query = typeof o.query === 'string' && 'params' in o ? o.query : null;
  return {
    name: o.name,
    message: query === null ? o.message : `failed query: ${query.slice(0, 300)}`,
    ...(typeof o.code === 'string' ? { code: o.code } : {}),
    ...(typeof o.digest === 'string' ? { digest: o.digest } : {}),
    ...(depth < 3 && o.cause instanceof Error ? { cause: errorFields(o.cause, depth + 1) } : {}),
  };
}

/** An error's message as a log line or a stored status may hold it (see {@link errorFields}). */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? String(errorFields(err).message) : String(err);
}

/** JSON-lines logging. Never pass secrets, tokens, assertions or passwords. */
export function log(level: Level, msg: string, fields: Record<string, unknown> = {}): void {
  if (order[level] < threshold()) return;
  const line = JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }, (_k, v) => (v instanceof Error ? errorFields(v) : v));
  (level === 'error' || level === 'warn' ? process.stderr : process.stdout).write(line + '\n');
}

/**
 * Once per server process: what Next.js prints with console.error when a page, layout or server
 * action throws becomes one JSON line — with the stack's frames for a bug, without them for the
 * database being unreachable. Printed as it is, it was the driver's error with the failed query's
 * parameters and a stack per request.
 */
export function logThrownErrors(): void {
  const print = console.error.bind(console);
  console.error = (...args: unknown[]) => {
    const err = args.find((a): a is Error => a instanceof Error);
    if (!err) return print(...args);
    // What Next.js prints beside the error, without its colours and its ⨯ mark.
    const context = args
      .filter((a) => typeof a === 'string')
      .join(' ')
      .replace(/\u001b\[[0-9;]*m|⨯/g, '')
      .trim()
      .slice(0, 200);
    const down = isDatabaseUnavailable(err);
    log('error', down ? 'request failed: database unavailable' : 'request failed', {
      err,
      ...(context ? { context } : {}),
      ...(down ? {} : { at: (err.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l)).slice(0, 8).map((l) => l.trim()) }),
    });
  };
}
