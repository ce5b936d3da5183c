import { DrizzleQueryError } from 'drizzle-orm/errors';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { errorMessage, log, logThrownErrors } from './log';

/** A failed query as drizzle throws it: its parameters (a person's address, an id) in the message. */
const failedQuery = (cause: Error) => new DrizzleQueryError('select "id" from "users" where "email" = $1 and "tenant_id" = $2', ['ada@customer.example', 'tnt_secretish'], cause);
const coded = (message: string, code: string) => Object.assign(new Error(message), { code });

/** The JSON lines written to stderr while `run` runs. */
function stderrLines(run: () => void): Record<string, unknown>[] {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (lines.push(String(chunk)), true));
  try {
    run();
  } finally {
    spy.mockRestore();
  }
  return lines.join('').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

describe('log: an error as a line holds it', () => {
  it("names a failed query's statement and its cause, never its parameters", () => {
    const [line] = stderrLines(() => log('error', 'request failed', { err: failedQuery(coded('duplicate key value violates unique constraint "users_email"', '23505')) }));
    expect(JSON.stringify(line)).not.toMatch(/ada@customer|tnt_secretish|params/);
    expect(line.err).toEqual({
      name: 'Error',
      message: 'failed query: select "id" from "users" where "email" = $1 and "tenant_id" = $2',
      cause: { name: 'Error', message: 'duplicate key value violates unique constraint "users_email"', code: '23505' },
    });
    expect(errorMessage(failedQuery(new Error('x')))).not.toContain('ada@');
    expect(errorMessage('plain')).toBe('plain');
  });
});

describe('logThrownErrors: what Next.js prints with console.error becomes one JSON line', () => {
  const original = console.error;
  afterEach(() => {
    console.error = original;
  });

  it('a database outage: one line, no stack, no parameters; the digest the error page shows', () => {
    logThrownErrors();
    const err = Object.assign(failedQuery(new Error('Connection terminated unexpectedly')), { digest: '2718281828' });
    const lines = stderrLines(() => console.error(err));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'error', msg: 'request failed: database unavailable', err: { digest: '2718281828', cause: { message: 'Connection terminated unexpectedly' } } });
    expect(lines[0]).not.toHaveProperty('at');
    expect(JSON.stringify(lines)).not.toMatch(/ada@customer|tnt_secretish/);
  });

  it("a bug: the stack's frames (no message line), and what was printed beside it", () => {
    logThrownErrors();
    const err = new TypeError("Cannot read properties of undefined (reading 'roles')");
    const [line] = stderrLines(() => console.error('\u001b[31m⨯\u001b[39m', 'in /t/acme', err));
    expect(line).toMatchObject({ msg: 'request failed', context: 'in /t/acme', err: { name: 'TypeError' } });
    expect((line.at as string[]).length).toBeGreaterThan(0);
    expect((line.at as string[]).every((f) => f.startsWith('at '))).toBe(true);
    // Next.js's own mark alone is no context.
    expect(stderrLines(() => console.error('\u001b[31m\u001b[1m⨯\u001b[22m\u001b[39m', err))[0]).not.toHaveProperty('context');
  });

  it("the portal's DatabaseUnavailable thrown from another server chunk (another copy of the class) is an outage", () => {
    logThrownErrors();
    const fromOtherChunk = Object.assign(new Error('the session could not be checked: the database is unavailable'), { name: 'DatabaseUnavailable' });
    expect(stderrLines(() => console.error(fromOtherChunk))[0]).toMatchObject({ msg: 'request failed: database unavailable', err: { name: 'DatabaseUnavailable' } });
  });

  it('anything without an error is printed as it was', () => {
    const printed: unknown[][] = [];
    console.error = (...args: unknown[]) => void printed.push(args);
    logThrownErrors();
    const lines = stderrLines(() => console.error('a warning from a library', 42));
    expect(lines).toEqual([]);
    expect(printed).toEqual([['a warning from a library', 42]]);
  });
});
