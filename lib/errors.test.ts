import { describe, expect, it } from 'vitest';
import { DatabaseUnavailable, isDatabaseUnavailable } from './errors';

/** Errors as the drizzle / node-postgres stack throws them: the driver's error as the cause of drizzle's. */
const wrapped = (cause: Error) => Object.assign(new Error('Failed query: select 1\nparams: '), { cause });
const coded = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable: the database unreachable (503, retry) rather than a bug', () => {
  it.each([
    ['a connection that died mid-query', new Error('Connection terminated unexpectedly')],
    ['a refused connection', coded('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['a reset connection', coded('read ECONNRESET', 'ECONNRESET')],
    ['a write to a connection the other side closed', coded('write EPIPE', 'EPIPE')],
    ['a pooled client whose connection failed', new Error('Client has encountered a connection error and is not queryable')],
    ['a client the shutdown closed', new Error('Client was closed and is not queryable')],
    ['no free connection in time', new Error('timeout exceeded when trying to connect')],
    ['the server shutting down', coded('terminating connection due to administrator command', '57P01')],
    ['a lock wait past lock_timeout', coded('canceling statement due to lock timeout', '55P03')],
    ['a statement past statement_timeout', coded('canceling statement due to statement timeout', '57014')],
    ['the portal\'s own', new DatabaseUnavailable('the session could not be checked')],
  ])('%s, bare or as drizzle wraps it', (_, err) => {
    expect(isDatabaseUnavailable(err)).toBe(true);
    expect(isDatabaseUnavailable(wrapped(err))).toBe(true);
  });

  it.each([
    ['a unique violation', coded('duplicate key value violates unique constraint "users_pkey"', '23505')],
    ['a syntax error', coded('syntax error at or near "selec"', '42601')],
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
  ])('not %s', (_, err) => {
    expect(isDatabaseUnavailable(err)).toBe(false);
    expect(isDatabaseUnavailable(wrapped(err))).toBe(false);
  });
});
