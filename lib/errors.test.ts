import { describe, expect, it } from 'vitest';
import { DatabaseUnavailable, isDatabaseUnavailable } from './errors';

/** Errors as the drizzle / node-postgres stack throws them: the driver's error as the cause of drizzle's. */
const wrapped = (cause: Error) => Object.assign(new Error('Failed query: select 1\nparams: '), { cause });
const coded = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable: the database unreachable (503, retry) rather than a bug', () => {
  it.each([
    ['a connection that died mid-query', true, new Error('Connection terminated unexpectedly')],
    ['a refused connection', true, coded('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['a reset connection', true, coded('read ECONNRESET', 'ECONNRESET')],
    ['a write to a connection the other side closed', true, coded('write EPIPE', 'EPIPE')],
    ['a pooled client whose connection failed', true, new Error('Client has encountered a connection error and is not queryable')],
    ['a client the shutdown closed', true, new Error('Client was closed and is not queryable')],
    ['no free connection in time', true, new Error('timeout exceeded when trying to connect')],
    ['the server shutting down', true, coded('terminating connection due to administrator command', '57P01')],
    ['a lock wait past lock_timeout', true, coded('canceling statement due to lock timeout', '55P03')],
    ['a statement past statement_timeout', true, coded('canceling statement due to statement timeout', '57014')],
    ["the portal's own", true, new DatabaseUnavailable('the session could not be checked')],
    ['a unique violation', false, coded('duplicate key value violates unique constraint "users_pkey"', '23505')],
    ['a syntax error', false, coded('syntax error at or near "selec"', '42601')],
    ['a bug', false, new TypeError("Cannot read properties of undefined (reading 'id')")],
  ] as const)('%s: an outage %s, bare or as drizzle wraps it', (_, outage, err) => {
    expect(isDatabaseUnavailable(err)).toBe(outage);
    expect(isDatabaseUnavailable(wrapped(err))).toBe(outage);
  });
});
