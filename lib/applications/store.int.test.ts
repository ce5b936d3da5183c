import { beforeAll, describe, expect, it, vi } from 'vitest';
import { dbHandle, getDb } from '@/lib/db/client';
import { sql } from 'drizzle-orm';
import { adapterClass, ConsumedElsewhere, forgetFinished, saveInteractionResult, WriteBatch } from './store';

/**
 * The provider's storage read ahead: a code or token is read with its grant and provider session,
 * which serve the request's next reads of them only while the request has written nothing.
 */

let request: object | undefined;
/** Whether the request being served wants the account a token names (the provider's token, userinfo and introspection). */
let wantsAccount = false;
const ACCOUNT = `account as (select input.sub as id, input.client_id, input.session_uid from input where input.sub <> 'gone')`;
const Adapter = adapterClass({
  clients: async () => null,
  metadata: () => ({}),
  currentLink: () => undefined,
  invalidGrant: (m) => new Error(m),
  request: () => request,
  // What the provider reads of an account, over the token's account, client and session.
  account: { ctes: ACCOUNT, wanted: () => wantsAccount, requester: () => null },
});
const Code = new Adapter('AuthorizationCode');
const Grant = new Adapter('Grant');
const Session = new Adapter('Session');
const Interaction = new Adapter('Interaction');

/** Statements sent while `fn` runs. */
async function statementsOf(fn: () => Promise<unknown>): Promise<number> {
  const db = await dbHandle();
  const spy = vi.spyOn(db, 'queryPrepared');
  try {
    await fn();
    return spy.mock.calls.length;
  } finally {
    spy.mockRestore();
  }
}

let n = 0;
async function stored() {
  n++;
  const grantId = `grant-${n}`;
  const uid = `uid-${n}`;
  await Grant.upsert(grantId, { kind: 'Grant', jti: grantId, accountId: 'u1', clientId: 'c1' }, 600);
  await Session.upsert(`sess-${n}`, { kind: 'Session', jti: `sess-${n}`, uid, accountId: 'u1' }, 600);
  await Code.upsert(`code-${n}`, { kind: 'AuthorizationCode', grantId, sessionUid: uid, accountId: 'u1', clientId: 'c1' }, 60);
  return { grantId, uid, code: `code-${n}`, session: `sess-${n}` };
}

beforeAll(async () => {
  await getDb();
});

describe('the provider storage reads ahead', () => {
  it('reads a code with its grant and session in one statement, each served once', async () => {
    const s = await stored();
    request = {};
    let code, grant, session;
    expect(await statementsOf(async () => (code = await Code.find(s.code)))).toBe(1);
    expect(code).toMatchObject({ grantId: s.grantId, jti: s.code });
    expect(await statementsOf(async () => (session = await Session.findByUid(s.uid)))).toBe(0);
    expect(session).toMatchObject({ uid: s.uid, jti: s.session });
    expect(await statementsOf(async () => (grant = await Grant.find(s.grantId)))).toBe(0);
    expect(grant).toMatchObject({ kind: 'Grant', accountId: 'u1' });
    // Served once: the next read is the database's.
    expect(await statementsOf(async () => (grant = await Grant.find(s.grantId)))).toBe(1);
    expect(grant).toMatchObject({ kind: 'Grant' });
  });

  it('forgets what it read once the request writes anything', async () => {
    const s = await stored();
    request = {};
    await Code.find(s.code);
    await Grant.upsert(s.grantId, { kind: 'Grant', jti: s.grantId, accountId: 'u1', clientId: 'c1', changed: true }, 600);
    expect(await Grant.find(s.grantId)).toMatchObject({ changed: true });

    await Code.find(s.code);
    await Session.destroy(s.session);
    expect(await Session.findByUid(s.uid)).toBeUndefined();

    await Code.find(s.code);
    await Code.consume(s.code);
    expect(await statementsOf(() => Grant.find(s.grantId))).toBe(1);
  });

  it('a grant or session that was not there is not there for the request', async () => {
    const s = await stored();
    await Grant.destroy(s.grantId);
    request = {};
    await Code.find(s.code);
    let grant: unknown = 'unread';
    expect(await statementsOf(async () => (grant = await Grant.find(s.grantId)))).toBe(0);
    expect(grant).toBeUndefined();
  });

  it('reads the account a token names with it when the request wants it, kept through the consume, forgotten when a session is written', async () => {
    const s = await stored();
    request = {};
    wantsAccount = true;
    try {
      expect(await statementsOf(() => Code.find(s.code))).toBe(1);
      expect(Adapter.accountAhead(request, 'u1', 'c1', 'other-session')).toBeUndefined();
      expect(Adapter.accountAhead(request, 'u1', 'c1', s.uid)).toEqual({ id: 'u1', client_id: 'c1', session_uid: s.uid });
      // Served once.
      expect(Adapter.accountAhead(request, 'u1', 'c1', s.uid)).toBeUndefined();

      await Code.find(s.code);
      await Code.consume(s.code);
      expect(Adapter.accountAhead(request, 'u1', 'c1', s.uid)).toMatchObject({ id: 'u1' });

      await Code.find(s.code);
      await Session.upsert(s.session, { kind: 'Session', jti: s.session, uid: s.uid, accountId: 'u1' }, 600);
      expect(Adapter.accountAhead(request, 'u1', 'c1', s.uid)).toBeUndefined();

      // Read, and not there (a deleted user): null.
      await Code.upsert('code-gone', { kind: 'AuthorizationCode', grantId: s.grantId, sessionUid: s.uid, accountId: 'gone', clientId: 'c1' }, 60);
      await Code.find('code-gone');
      expect(Adapter.accountAhead(request, 'gone', 'c1', s.uid)).toBeNull();

      // A request that does not want it reads no account.
      wantsAccount = false;
      request = {};
      await Code.find(s.code);
      expect(Adapter.accountAhead(request, 'u1', 'c1', s.uid)).toBeUndefined();
    } finally {
      wantsAccount = false;
    }
  });

  it('reads the account a finished interaction signed in with it (the authorization resume), in one statement', async () => {
    request = {};
    wantsAccount = true;
    try {
      await Interaction.upsert('ia-1', { kind: 'Interaction', params: { client_id: 'c1' }, result: { login: { accountId: 'u7' } } }, 600);
      let found;
      expect(await statementsOf(async () => (found = await Interaction.find('ia-1')))).toBe(1);
      expect(found).toMatchObject({ result: { login: { accountId: 'u7' } } });
      expect(Adapter.accountAhead(request, 'u7', 'c1', null)).toEqual({ id: 'u7', client_id: 'c1', session_uid: null });
      // An interaction not finished names no account: none is read.
      await Interaction.upsert('ia-2', { kind: 'Interaction', params: { client_id: 'c1' } }, 600);
      expect(await Interaction.find('ia-2')).toMatchObject({ kind: 'Interaction' });
      expect(Adapter.accountAhead(request, 'u7', 'c1', null)).toBeUndefined();
    } finally {
      wantsAccount = false;
    }
  });

  it('a login interaction’s result is stored in one statement, the rest of it and its expiry unchanged; none for one gone', async () => {
    request = undefined;
    await Interaction.upsert('ia-3', { kind: 'Interaction', exp: 1, params: { client_id: 'c1' }, returnTo: 'https://portal.test/oidc/auth/ia-3' }, 600);
    const expiry = async () => (await (await dbHandle()).query<{ e: string }>(`select expires_at::text as e from oidc_payloads where model = 'Interaction' and id = 'ia-3'`))[0].e;
    const before = await expiry();
    let to;
    expect(await statementsOf(async () => (to = await saveInteractionResult('ia-3', { login: { accountId: 'u8' } }, ACCOUNT)))).toBe(1);
    expect(to).toBe('https://portal.test/oidc/auth/ia-3');
    forgetFinished('ia-3');
    expect(await Interaction.find('ia-3')).toEqual({ kind: 'Interaction', exp: 1, params: { client_id: 'c1' }, returnTo: 'https://portal.test/oidc/auth/ia-3', result: { login: { accountId: 'u8' } } });
    expect(await expiry()).toBe(before);
    // Expired (or never stored): nothing is written.
    await Interaction.upsert('ia-4', { kind: 'Interaction', params: {}, returnTo: 'x' }, -1);
    expect(await saveInteractionResult('ia-4', { login: { accountId: 'u8' } }, ACCOUNT)).toBeNull();
    expect(await saveInteractionResult('no-such-interaction', { login: { accountId: 'u8' } }, ACCOUNT)).toBeNull();
    const [late] = await (await dbHandle()).query<{ payload: Record<string, unknown> }>(`select payload from oidc_payloads where model = 'Interaction' and id = 'ia-4'`);
    expect(late.payload.result).toBeUndefined();
    // …nor kept for a resume: the resume's read goes to the database.
    request = {};
    wantsAccount = true;
    try {
      expect(await statementsOf(() => Interaction.find('ia-4'))).toBe(1);
    } finally {
      wantsAccount = false;
    }
  });

  it('the resume of an interaction this process just finished reads it, and its account, from that statement: once, and only the resume', async () => {
    await Interaction.upsert('ia-5', { kind: 'Interaction', params: { client_id: 'c1' }, returnTo: 'https://portal.test/oidc/auth/ia-5' }, 600);
    request = undefined;
    await saveInteractionResult('ia-5', { login: { accountId: 'u9' } }, ACCOUNT);
    // A read that wants no account (not the resume) reads the database, and leaves it for the resume.
    request = {};
    expect(await statementsOf(() => Interaction.find('ia-5'))).toBe(1);
    wantsAccount = true;
    try {
      let found;
      expect(await statementsOf(async () => (found = await Interaction.find('ia-5')))).toBe(0);
      expect(found).toEqual({ kind: 'Interaction', params: { client_id: 'c1' }, returnTo: 'https://portal.test/oidc/auth/ia-5', result: { login: { accountId: 'u9' } } });
      expect(Adapter.accountAhead(request, 'u9', 'c1', null)).toEqual({ id: 'u9', client_id: 'c1', session_uid: null });
      // Once: the next read is the database's.
      request = {};
      expect(await statementsOf(() => Interaction.find('ia-5'))).toBe(1);
      // Not served once it is a few seconds old (a callback that failed before its resume): the database's.
      await saveInteractionResult('ia-5', { login: { accountId: 'u11' } }, ACCOUNT);
      const later = Date.now() + 6_000;
      const clock = vi.spyOn(Date, 'now').mockReturnValue(later);
      try {
        request = {};
        expect(await statementsOf(() => Interaction.find('ia-5'))).toBe(1);
      } finally {
        clock.mockRestore();
      }
      // Forgotten when its resume ends, whether or not it was read.
      await saveInteractionResult('ia-5', { login: { accountId: 'u10' } }, ACCOUNT);
      forgetFinished('ia-5');
      request = {};
      expect(await statementsOf(async () => (found = await Interaction.find('ia-5')))).toBe(1);
      expect(found).toMatchObject({ result: { login: { accountId: 'u10' } } });
    } finally {
      wantsAccount = false;
    }
  });

  it('another request, or none, reads the database', async () => {
    const s = await stored();
    request = {};
    await Code.find(s.code);
    request = {};
    expect(await statementsOf(() => Grant.find(s.grantId))).toBe(1);
    request = undefined;
    expect(await statementsOf(() => Code.find(s.code))).toBe(1);
    expect(await statementsOf(() => Grant.find(s.grantId))).toBe(1);
  });
});

describe('a write batch', () => {
  const rowOf = (id: string) => ({ op: 'upsert' as const, model: 'Grant', id, payload: { kind: 'Grant' }, grant_id: id, expires_in: 600 });
  const held = async (id: string) => (await (await dbHandle()).query(`select 1 from oidc_payloads where model = 'Grant' and id = $1`, [id])).length;

  it('sends a statement given to it with its writes, all or nothing', async () => {
    const db = await getDb();
    await db.execute(sql`create table if not exists batch_probe (id text primary key)`);
    const run = `${Date.now()}-${Math.random()}`;
    const batch = new WriteBatch();
    batch.add(rowOf(`a-${run}`));
    batch.along(sql`insert into batch_probe (id) values (${run})`);
    await batch.flush();
    expect(await held(`a-${run}`)).toBe(1);
    expect(await (await dbHandle()).query(`select id from batch_probe where id = $1`, [run])).toHaveLength(1);

    // The statement fails (a duplicate key): the batch's writes are not stored either.
    const failing = new WriteBatch();
    failing.add(rowOf(`b-${run}`));
    failing.along(sql`insert into batch_probe (id) values (${run})`);
    await expect(failing.flush()).rejects.toThrow();
    expect(await held(`b-${run}`)).toBe(0);
  });

  it('sends a redemption with the writes it pays for: all or nothing, and one of two redemptions wins', async () => {
    let batch: WriteBatch | undefined;
    const Batched = adapterClass({ clients: async () => null, metadata: () => ({}), currentLink: () => undefined, invalidGrant: (m) => new Error(m), batch: () => batch });
    const Refresh = new Batched('RefreshToken');
    const Access = new Batched('AccessToken');
    const s = await stored();
    const token = `rt-${s.grantId}`;
    await Refresh.upsert(token, { kind: 'RefreshToken', grantId: s.grantId, accountId: 'u1', clientId: 'c1' }, 600);
    const consumed = async () => (await Refresh.find(token))?.consumed;

    // Storing fails (here a payload the table refuses): the token is not consumed either.
    batch = new WriteBatch();
    await Refresh.consume(token);
    batch.add({ op: 'upsert', model: 'AccessToken', id: 'at-bad', payload: null as never });
    await expect(batch.flush()).rejects.toThrow();
    batch = undefined;
    expect(await consumed()).toBeUndefined();

    // Two requests redeem it; the first to store wins, the second stores nothing and the grant is revoked.
    const first = new WriteBatch();
    const second = new WriteBatch();
    batch = first;
    await Refresh.consume(token);
    await Access.upsert(`at-1-${s.grantId}`, { kind: 'AccessToken', grantId: s.grantId }, 600);
    batch = second;
    await Refresh.consume(token);
    await Access.upsert(`at-2-${s.grantId}`, { kind: 'AccessToken', grantId: s.grantId }, 600);
    batch = undefined;
    await first.flush();
    expect(await consumed()).toBeTruthy();
    expect(await Access.find(`at-1-${s.grantId}`)).toBeTruthy();
    await expect(second.flush()).rejects.toBeInstanceOf(ConsumedElsewhere);
    expect(await Access.find(`at-2-${s.grantId}`)).toBeUndefined();
    expect(await Access.find(`at-1-${s.grantId}`)).toBeUndefined();
    expect(await Grant.find(s.grantId)).toBeUndefined();
  });
});
