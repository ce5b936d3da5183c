import 'server-only';
import { eq, sql } from 'drizzle-orm';
import { record } from '../audit/record';
import type { Ctx } from '../audit/types';
import { dummyHash, hashPassword, verifyPassword } from '../auth/password';
import { forgetSetupToken, setupTokenMatches } from '../auth/setup-token';
import { getDb, type Executor } from '../db/client';
import { operators, sessions, type Operator } from '../db/schema';
import { AppError } from '../errors';
import { newId } from '../ids';

export async function operatorCount(): Promise<number> {
  const db = await getDb();
  const [r] = await db.select({ n: sql<number>`count(*)::int` }).from(operators);
  return r.n;
}

const SETUP_LOCK = 72_190_002;
const THROTTLED_LOCK = 72_190_004; // pg_advisory_xact_lock key: throttled sign-in events, one check at a time

/**
 * Creates the first operator through the one-time setup page: needs the setup token
 * (lib/auth/setup-token.ts) and refuses once any operator exists. An advisory lock makes two
 * simultaneous setups one.
 */
export async function createFirstOperator(ctx: Ctx, email: string, password: string, token: string): Promise<Operator> {
  if (!setupTokenMatches(token)) {
    const message = 'This is not the setup token: use the one printed when the portal started (also in the data directory, file setup-token)';
    throw new AppError(403, 'bad_setup_token', message, [{ path: 'token', message }]);
  }
  const passwordHash = await hashPassword(password);
  const db = await getDb();
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${SETUP_LOCK})`);
    const [{ n }] = await tx.select({ n: sql<number>`count(*)::int` }).from(operators);
    if (n > 0) throw new AppError(409, 'setup_done', 'The portal already has an operator');
    return insertOperator(tx, ctx, email, passwordHash);
  }).then((op) => {
    forgetSetupToken();
    return op;
  });
}

async function insertOperator(tx: Executor, ctx: Ctx, email: string, passwordHash: string): Promise<Operator> {
  const [op] = await tx.insert(operators).values({ id: newId('op'), email: email.toLowerCase(), passwordHash }).returning();
  await record(tx, { ...ctx, actor: ctx.actor.type === 'system' ? ctx.actor : { type: 'operator', id: op.id, label: op.email } }, {
    tenantId: null,
    action: 'operator.created',
    target: { type: 'operator', id: op.id, label: op.email },
  });
  return op;
}

/** OPERATOR_EMAIL + OPERATOR_PASSWORD: make sure that operator exists (created once, never overwritten). */
export async function ensureOperator(ctx: Ctx, email: string, password: string): Promise<void> {
  const db = await getDb();
  const [existing] = await db.select().from(operators).where(sql`lower(${operators.email}) = ${email.toLowerCase()}`);
  if (existing) return;
  const passwordHash = await hashPassword(password);
  await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${SETUP_LOCK})`);
    const [again] = await tx.select().from(operators).where(sql`lower(${operators.email}) = ${email.toLowerCase()}`);
    if (!again) await insertOperator(tx, ctx, email, passwordHash);
  });
}

/** The operator for these credentials, or null; constant work whether or not the email exists. */
export async function checkOperatorCredentials(email: string, password: string): Promise<Operator | null> {
  const db = await getDb();
  const [op] = await db.select().from(operators).where(sql`lower(${operators.email}) = ${email.toLowerCase()}`);
  const ok = await verifyPassword(password, op?.passwordHash ?? (await dummyHash()));
  return op && ok ? op : null;
}

export const SESSION_TTL_SECONDS = 8 * 60 * 60;

/** A new operator session row and its `admin.signed_in` event, in one transaction. */
export async function startOperatorSession(ctx: Ctx, op: Operator): Promise<{ sessionId: string; expiresAt: Date }> {
  const db = await getDb();
  const sessionId = newId('ses');
  const expiresAt = new Date(Date.now() + SESSION_TTL_SECONDS * 1000);
  await db.transaction(async (tx) => {
    await tx.insert(sessions).values({ id: sessionId, kind: 'operator', subjectId: op.id, expiresAt });
    await tx.update(operators).set({ lastLoginAt: new Date() }).where(eq(operators.id, op.id));
    await record(tx, { ...ctx, actor: { type: 'operator', id: op.id, label: op.email } }, {
      tenantId: null,
      action: 'admin.signed_in',
      target: { type: 'operator', id: op.id, label: op.email },
      details: { method: 'password' },
    });
  });
  return { sessionId, expiresAt };
}

export async function getOperator(id: string): Promise<Operator | null> {
  const db = await getDb();
  const [op] = await db.select().from(operators).where(eq(operators.id, id));
  return op ?? null;
}

/**
 * A refused operator sign-in in the operator's audit log: the email typed (the account, when it
 * exists), the address, and why (`bad_credentials`, `throttled`; that one at most once a minute
 * per account and address). Never the password.
 */
export async function recordOperatorLoginFailure(meta: Omit<Ctx, 'actor'>, email: string, reason: 'bad_credentials' | 'throttled'): Promise<void> {
  const db = await getDb();
  const label = email.trim().toLowerCase().slice(0, 320);
  const [op] = await db.select({ id: operators.id }).from(operators).where(sql`lower(${operators.email}) = ${label}`);
  await db.transaction(async (tx) => {
    // Refusals while throttled cost the sender nothing: at most one event a minute per account and
    // per address (a flood must not grow the append-only log without bound).
    if (reason === 'throttled') {
      await tx.execute(sql`select pg_advisory_xact_lock(${THROTTLED_LOCK})`); // one such check at a time
      const recent = await tx.execute(sql`
        select 1 from audit_events
        where tenant_id is null and occurred_at > now() - interval '60 seconds' and action = 'operator.login_failed' and reason = 'throttled'
          and (target_label = ${label}${meta.ip ? sql` or ip = ${meta.ip}` : sql``})
        limit 1`);
      if ((recent as unknown as { rows: unknown[] }).rows.length) return;
    }
    await record(tx, { ...meta, actor: { type: 'operator', id: op?.id ?? null, label } }, {
      tenantId: null,
      action: 'operator.login_failed',
      outcome: 'failure',
      reason,
      target: { type: 'operator', id: op?.id ?? 'unknown', label },
      ...(reason === 'throttled' ? { details: { note: 'further throttled attempts within 60 s from this account or address are not recorded one by one' } } : {}),
    });
  });
}
