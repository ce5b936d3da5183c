import { z } from 'zod';
import { nulPath } from './api/body';
import { AppError } from './errors';
import { log } from './log';
import { sentence } from './utils';

/** What every server action answers: success, or an error with per-field messages for the form. */
export type ActionResult<T = unknown> = { ok: true; data?: T } | { ok: false; error: string; fieldErrors?: Record<string, string> };

/** Validates input and turns typed errors into form errors. Redirects and notFound() pass through. */
export async function runAction<S extends z.ZodType, T>(
  schema: S,
  input: unknown,
  fn: (data: z.output<S>) => Promise<T>,
): Promise<ActionResult<T>> {
  const nul = nulPath(input);
  if (nul !== null) {
    return { ok: false, error: 'Please correct the highlighted fields.', fieldErrors: { [nul === '(root)' ? 'form' : nul]: 'must not contain the NUL character (U+0000)' } };
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) return { ok: false, error: 'Please correct the highlighted fields.', fieldErrors: fieldErrorsOf(parsed.error) };
  try {
    return { ok: true, data: await fn(parsed.data) };
  } catch (err) {
    if (err instanceof AppError) {
      const fieldErrors = Object.fromEntries((err.errors ?? []).map((e) => [e.path, e.message]));
      return { ok: false, error: sentence(err.message), fieldErrors };
    }
    if (err && typeof err === 'object' && 'digest' in err) throw err; // redirect() / notFound()
    // An argument beside the form (an id) checked inside the action.
    if (err instanceof z.ZodError) {
      log('warn', 'action refused: a check inside it failed', { err });
      return { ok: false, error: 'Please correct the highlighted fields.', fieldErrors: fieldErrorsOf(err) };
    }
    log('error', 'action failed', { err });
    return { ok: false, error: 'Something went wrong; please try again.' };
  }
}

function fieldErrorsOf(error: z.ZodError): Record<string, string> {
  const fieldErrors: Record<string, string> = {};
  for (const i of error.issues) fieldErrors[i.path.join('.') || 'form'] ??= i.message;
  return fieldErrors;
}

/**
 * Are these arguments what the console's own forms send beside their fields (a slug, an id, a
 * domain: short strings)? A hand-made call may send anything there (an object, a number); such a
 * call is answered NOT_PLAIN before anything reads them.
 */
export function plainArgs(...args: unknown[]): boolean {
  return args.every((a) => typeof a === 'string' && a.length <= 1024 && !a.includes('\0'));
}

export const NOT_PLAIN = { ok: false, error: 'Not found: the request names nothing of that kind here.' } as const;
