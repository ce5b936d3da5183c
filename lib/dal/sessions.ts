import 'server-only';
import { and, eq, gt } from 'drizzle-orm';
import { getDb, type Executor } from '../db/client';
import { sessions, type SessionRow } from '../db/schema';

/** The live session row for an id, or null when it was ended, revoked or has expired. */
export async function liveSession(id: string): Promise<SessionRow | null> {
  const db = await getDb();
  const [row] = await db
    .select()
    .from(sessions)
    .where(and(eq(sessions.id, id), gt(sessions.expiresAt, new Date())));
  return row ?? null;
}

export async function endSession(id: string): Promise<void> {
  const db = await getDb();
  await db.delete(sessions).where(eq(sessions.id, id));
}

/** Ends every session of a subject at once (suspension, deletion). */
export async function endSessionsOf(tx: Executor, subjectId: string): Promise<void> {
  await tx.delete(sessions).where(eq(sessions.subjectId, subjectId));
}
