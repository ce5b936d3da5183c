import { dbHandle } from './db/client';

const TIMEOUT_MS = 3000;

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} did not answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS).unref()),
  ]);
}

/** Is the database reachable? Answers within a few seconds either way. */
export async function checkHealth(): Promise<{ ok: boolean; database: { kind?: string; ok: boolean; error?: string } }> {
  try {
    const h = await withTimeout(dbHandle(), 'database');
    await withTimeout(h.query('select 1'), 'database');
    return { ok: true, database: { kind: h.kind, ok: true } };
  } catch (err) {
    return { ok: false, database: { ok: false, error: (err as Error).message } };
  }
}
