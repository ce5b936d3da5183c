import 'server-only';
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { sql, type SQL as Statement } from 'drizzle-orm';
import { dbHandle, getDb, type Executor } from '../db/client';
import type { Application } from '../db/schema';

/**
 * Storage of the OpenID Provider (oidc-provider's adapter interface) in the portal's database,
 * so that any instance serves any step. One table holds every model (`oidc_payloads`); bearer
 * artifacts (codes and tokens) are keyed by the SHA-256 of their value, never stored in clear.
 * `consume` is one conditional UPDATE: of several simultaneous redemptions of a code or refresh
 * token, exactly one wins; at the token endpoint it is sent with the tokens it pays for, in one
 * statement, so a failure to store them leaves it unredeemed for a retry. Clients are the
 * `applications` rows, read on every lookup.
 */
const HASHED = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'ClientCredentials', 'DeviceCode', 'BackchannelAuthenticationRequest', 'PushedAuthorizationRequest']);
const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);
/** The provider checks expiry itself with 15 s of clock tolerance; rows stay readable that long. */
const GRACE = '15 seconds';
/**
 * A used code or refresh token is kept this long, to recognise its reuse (which revokes the grant):
 * a code's minute and a refresh token's own lifetime may have passed by then.
 */
const REUSE_WINDOW = '2 days';
/** A redeemed record's new expiry: a refresh token's stays if sooner; a code's is extended. */
const KEPT_UNTIL = (t: string) =>
  `case when ${t}.model = 'RefreshToken' then least(${t}.expires_at, now() + interval '${REUSE_WINDOW}')
        when ${t}.model = 'AuthorizationCode' then now() + interval '${REUSE_WINDOW}' else ${t}.expires_at end`;

const SQL = {
  find: `select payload, extract(epoch from consumed_at)::int as consumed from oidc_payloads
         where model = $1 and id = $2 and (expires_at is null or expires_at > now() - interval '${GRACE}')`,
  findByUid: `select id, payload from oidc_payloads where model = 'Session' and uid = $1
              and (expires_at is null or expires_at > now() - interval '${GRACE}') order by expires_at desc nulls first limit 1`,
  findByUserCode: `select payload from oidc_payloads where model = $1 and user_code = $2
                   and (expires_at is null or expires_at > now() - interval '${GRACE}') limit 1`,
  consume: `update oidc_payloads set consumed_at = now(), expires_at = ${KEPT_UNTIL('oidc_payloads')}
            where model = $1 and id = $2 and consumed_at is null returning 1 as ok`,
  /** A second redemption (a race, or a thief): everything of that grant goes. */
  revokeGrantOf: `delete from oidc_payloads where grant_id = (select grant_id from oidc_payloads where model = $1 and id = $2)`,
  revokeByGrantId: `delete from oidc_payloads where model = $1 and grant_id = $2`,
};

/**
 * The account a record names, for the account CTEs (`input(sub, client_id, session_uid, valid)`): a
 * token's or code's own, or the one a finished login interaction signed in (the resume reads it
 * next). `valid`: the record is one the provider may accept from the requesting client ($3, null
 * for a bearer token's own request): unconsumed, unexpired, that client's. Read ahead, an account
 * counts as its portal session's activity only then (the provider's checks come later).
 */
const ACCOUNT_INPUT = {
  token: `input as (select payload->>'accountId' as sub, payload->>'clientId' as client_id, payload->>'sessionUid' as session_uid,
      consumed_at is null and (expires_at is null or expires_at > now()) and ($3::text is null or payload->>'clientId' = $3) as valid from t)`,
  Interaction: `input as (select payload->'result'->'login'->>'accountId' as sub, payload->'params'->>'client_id' as client_id, null::text as session_uid,
      false as valid from t)`,
};
const accountOfPayload = {
  token: (p: Payload) => [p.accountId, p.clientId, p.sessionUid],
  Interaction: (p: Payload) => [((p.result as Payload | undefined)?.login as Payload | undefined)?.accountId, (p.params as Payload | undefined)?.client_id, null],
};

/**
 * A record (`t`) with what the provider reads next. For a token or code (`grant`): its grant, and
 * its provider session (by the `sessionUid` it names, as findByUid reads it). With `account`
 * (account CTEs over `input`, defining `account`): what the provider reads of the account it names.
 */
function findAlong(opts: { grant: boolean; account?: { input: string; ctes: string }; record?: string }): string {
  const record =
    opts.record ??
    `t as (select payload, consumed_at, grant_id, expires_at from oidc_payloads
      where model = $1 and id = $2 and (expires_at is null or expires_at > now() - interval '${GRACE}'))`;
  const parts = [`select 'token' as part, null as id, payload, extract(epoch from consumed_at)::int as consumed from t`];
  if (opts.grant) {
    parts.push(`select 'Grant', g.id, g.payload, null from t join oidc_payloads g on g.model = 'Grant' and g.id = t.grant_id
      where g.expires_at is null or g.expires_at > now() - interval '${GRACE}'`);
    parts.push(`(select 'Session', s.id, s.payload, null from t join oidc_payloads s on s.model = 'Session' and s.uid = t.payload->>'sessionUid'
      where s.expires_at is null or s.expires_at > now() - interval '${GRACE}' order by s.expires_at desc nulls first limit 1)`);
  }
  if (opts.account) parts.push(`select 'Account', null, to_jsonb(a), null from account a`);
  const ctes = [record, ...(opts.account ? [opts.account.input, opts.account.ctes] : [])];
  return `with ${ctes.join(', ')}\n    ${parts.join('\n    union all\n    ')}`;
}

/**
 * Every write of the provider, alone or in a run, in one statement: consumptions (a code or
 * refresh token redeemed), deletions, upserts and the sessions' links to their portal sessions,
 * from a JSON list of rows (one per model and id). A consumption is a conditional UPDATE; when one
 * finds its record already consumed (another redemption won), nothing else is written: `won` is
 * false, and the request issues nothing.
 */
const FLUSH = `with ops as (
    select * from jsonb_to_recordset($1::jsonb) as o(op text, model text, id text, payload jsonb, grant_id text, uid text, user_code text,
      account_id text, client_id text, expires_in int, portal_session_id text, tenant_id text)),
  consumed as (update oidc_payloads p set consumed_at = now(), expires_at = ${KEPT_UNTIL('p')}
    from ops where ops.op = 'consume' and p.model = ops.model and p.id = ops.id and p.consumed_at is null returning 1),
  won as (select (select count(*) from consumed) = (select count(*) from ops where op = 'consume') as won),
  gone as (delete from oidc_payloads p using ops, won where won.won and ops.op = 'destroy' and p.model = ops.model and p.id = ops.id),
  saved as (insert into oidc_payloads (model, id, payload, grant_id, uid, user_code, account_id, client_id, expires_at)
    select model, id, payload, grant_id, uid, user_code, account_id, client_id,
      case when expires_in is null then null else now() + make_interval(secs => expires_in) end from ops, won where won.won and op = 'upsert'
    on conflict (model, id) do update set payload = excluded.payload, grant_id = excluded.grant_id, uid = excluded.uid,
      user_code = excluded.user_code, account_id = excluded.account_id, client_id = excluded.client_id, expires_at = excluded.expires_at),
  linked as (insert into oidc_session_links (session_uid, portal_session_id, account_id, tenant_id)
    select uid, portal_session_id, account_id, tenant_id from ops, won where won.won and op = 'upsert' and portal_session_id is not null
    on conflict (session_uid) do update set portal_session_id = excluded.portal_session_id, account_id = excluded.account_id, tenant_id = excluded.tenant_id)
  select won from won`;

/** A record read with what the provider reads next (findAlong): `part` names which. */
type AlongRow = { part: string; id: string | null; payload: Payload; consumed: number | null };

/**
 * Login interactions whose result this process just stored (saveInteractionResult), read back with
 * the account they signed in: the authorization resume that the SSO callback makes next, in this
 * process, reads one from here (once) instead of from the database. The rows are what that read
 * would get a moment later. Each is dropped when its resume ends (forgetFinished); one left by a
 * callback that failed in between is served to nothing after a few seconds, and dropped.
 */
const finishedHere = new Map<string, { at: number; rows: AlongRow[] }>();
const FINISHED_KEPT_MS = 5_000;
const finishStatements = new Map<string, string>();

/**
 * A login interaction's result, stored as the provider's `interactionResult` stores it (the
 * interaction's other fields and its expiry unchanged), in one statement that also reads the
 * interaction back with the account it signed in (`accountCtes`, as the adapter's `account`), for
 * this process's resume of it (finishedHere). Answers its `returnTo` (the authorization resume),
 * or null when the interaction is gone or expired.
 */
export async function saveInteractionResult(uid: string, result: Payload, accountCtes: string): Promise<string | null> {
  let text = finishStatements.get(accountCtes);
  if (!text) {
    text = findAlong({
      grant: false,
      account: { input: ACCOUNT_INPUT.Interaction, ctes: accountCtes },
      record: `t as (update oidc_payloads set payload = jsonb_set(payload, '{result}', $3::jsonb)
        where model = $1 and id = $2 and expires_at > now() returning payload, consumed_at, grant_id, expires_at)`,
    });
    finishStatements.set(accountCtes, text);
  }
  const db = await dbHandle();
  const rows = await db.queryPrepared<AlongRow>(text, ['Interaction', uid, JSON.stringify(result)]);
  const record = rows.find((r) => r.part === 'token');
  if (typeof record?.payload.returnTo !== 'string') return null;
  const now = Date.now();
  for (const [k, v] of finishedHere) if (now - v.at > FINISHED_KEPT_MS) finishedHere.delete(k);
  finishedHere.set(uid, { at: now, rows });
  return record.payload.returnTo;
}

/** The resume of a finished interaction ended (whether or not it read it from finishedHere). */
export function forgetFinished(uid: string): void {
  finishedHere.delete(uid);
}

/** A code or refresh token this request redeemed was redeemed by another request first: nothing was written. */
export class ConsumedElsewhere extends Error {
  constructor(readonly model: string) {
    super(`${model} already used`);
    this.name = 'ConsumedElsewhere';
  }
}

type BatchRow = {
  op: 'upsert' | 'destroy' | 'consume';
  model: string;
  id: string;
  payload?: Payload;
  grant_id?: string | null;
  uid?: string | null;
  user_code?: string | null;
  account_id?: string | null;
  client_id?: string | null;
  expires_in?: number | null;
  portal_session_id?: string | null;
  tenant_id?: string | null;
};

/**
 * The provider's writes during one request, sent as one statement before its answer (provider.ts
 * opens one for the authorization resume and the token endpoint, whose writes come in runs). A
 * read of the provider's storage that could see a pending write, and every change that must happen
 * at once (the revocations), sends what is pending first: every read sees every earlier write of
 * what it reads, and only runs of writes are joined. Of two writes to one record, the last is kept.
 * A redemption (`consume`) joins the run: when another request redeemed the same code or token
 * first, nothing of the run is stored.
 */
export class WriteBatch {
  private readonly pending = new Map<string, BatchRow>();
  private readonly others: Statement[] = [];
  add(row: BatchRow) {
    // A consumption is kept apart from a write of the same record (which never happens in one request).
    this.pending.set(`${row.op === 'consume' ? 'consume\u0000' : ''}${row.model}\u0000${row.id}`, row);
  }
  /** Another write sent in the same statement (a sign-in's audit event): stored with the batch or not at all. */
  along(statement: Statement) {
    this.others.push(statement);
  }
  /** Whether a write to one of `models` is pending (a Session's brings its portal link, which the account query reads). */
  holds(models: readonly string[]): boolean {
    return [...this.pending.values()].some((r) => models.includes(r.model));
  }
  async flush(): Promise<void> {
    if (!this.pending.size && !this.others.length) return;
    const rows = [...this.pending.values()];
    const others = this.others.splice(0);
    this.pending.clear();
    await store(rows, others);
  }
}

async function store(rows: BatchRow[], others: Statement[] = []): Promise<void> {
  const consumes = rows.filter((r) => r.op === 'consume');
  let won: boolean | undefined;
  if (!others.length) {
    const db = await dbHandle();
    [{ won }] = await db.queryPrepared<{ won: boolean }>(FLUSH, [JSON.stringify(rows)]);
  } else {
    // The other writes do not wait for a consumption's outcome: a batch has one or the other.
    if (consumes.length) throw new Error('a write batch that consumes takes no other statements');
    // FLUSH with the other writes as CTEs before its own (its one parameter is the rows).
    const [head, tail] = FLUSH.replace(/^with /, '').split('$1');
    const ctes = others.map((o, i) => sql`${sql.raw(`other_${i}`)} as (${o}), `);
    await (await getDb()).execute(sql`with ${sql.join(ctes)}${sql.raw(head)}${JSON.stringify(rows)}${sql.raw(tail)}`);
  }
  if (won === false) {
    // Another redemption won (a race, or a thief): everything of that grant goes.
    const db = await dbHandle();
    for (const c of consumes) await db.queryPrepared(SQL.revokeGrantOf, [c.model, c.id]);
    throw new ConsumedElsewhere(consumes[0].model);
  }
}

/**
 * Write batching for the provider: `middleware` gives each request whose path `batched` selects a
 * WriteBatch, sent before the request is answered (a failure to store is the request's failure;
 * a redemption another request won has `refuse` answer instead), and dropped when the request
 * failed on the server; `of` finds a request's batch (the adapter's `batch`). `open` gives a
 * request a batch that its opener sends itself, and `within` runs work outside the provider's own
 * request context (which `of` finds no batch by) with that batch: the first step of a sign-in,
 * which an authorization request runs after the provider answered (provider.ts, beginInteraction).
 */
export function writeBatching<C extends { path: string; status: number }>(batched: (path: string) => boolean, refuse: (ctx: C, err: ConsumedElsewhere) => void) {
  const batches = new WeakMap<object, WriteBatch>();
  /** The batch of work run `within` one, while that work runs (not for what it leaves running). */
  const outside = new AsyncLocalStorage<{ batch?: WriteBatch }>();
  const open = (ctx: object) => {
    const batch = new WriteBatch();
    batches.set(ctx, batch);
    return batch;
  };
  return {
    of: (ctx: object | undefined) => (ctx ? batches.get(ctx) : undefined) ?? outside.getStore()?.batch,
    open,
    async within<T>(batch: WriteBatch, work: () => Promise<T>): Promise<T> {
      const scope: { batch?: WriteBatch } = { batch };
      try {
        return await outside.run(scope, work);
      } finally {
        scope.batch = undefined;
      }
    },
    async middleware(ctx: C, next: () => Promise<void>) {
      if (!batched(ctx.path)) return next();
      const batch = open(ctx);
      await next();
      // A request that failed on the server (the provider answers its errors itself: a 5xx) stores
      // none of its pending writes: a code is not spent on tokens nobody received, and an
      // interaction stays for the browser's retry.
      if (ctx.status >= 500) return;
      try {
        await batch.flush();
      } catch (err) {
        if (!(err instanceof ConsumedElsewhere)) throw err;
        refuse(ctx, err);
      }
    },
  };
}

export const hashId = (id: string) => createHash('sha256').update(id).digest('base64url');

/**
 * The authorizations (application → sid, grant) of a provider session, read however long ago the
 * record expired: ending a session must tell every application it signed in to, even when the job
 * that does it runs late. The housekeeping keeps a session's record while a link names it.
 */
export async function sessionAuthorizations(uid: string): Promise<Record<string, { sid?: string; grantId?: string }>> {
  const db = await dbHandle();
  const rows = await db.queryPrepared<{ payload: { authorizations?: Record<string, { sid?: string; grantId?: string }> } }>(
    `select payload from oidc_payloads where model = 'Session' and uid = $1`,
    [uid],
  );
  return Object.assign({}, ...rows.map((r) => r.payload.authorizations ?? {}));
}

/** Deletes a provider session's records (the reaper's transaction, with the logout tokens it queues). */
export async function destroySessionRecords(uid: string, tx: Executor): Promise<void> {
  await tx.execute(sql`delete from oidc_payloads where model = 'Session' and uid = ${uid}`);
}

type Payload = Record<string, unknown>;

export type ClientSource = (clientId: string) => Promise<Application | null>;
export type ClientMetadata = (app: Application) => Payload;

/** The portal session a provider session comes from, given by the interaction result (see provider.ts). */
export type PortalLink = { sessionId: string; tenantId: string | null };

/**
 * The adapter class for oidc-provider. `currentLink` reads the portal session of the login being
 * finished in this request (oidc-provider's request context), to link the provider session to it.
 */
export function adapterClass(deps: {
  clients: ClientSource;
  metadata: ClientMetadata;
  currentLink: () => PortalLink | undefined;
  invalidGrant: (message: string) => Error;
  /** This request's write batch, if it has one. */
  batch?: () => WriteBatch | undefined;
  /** The request being served (oidc-provider's context), which keeps what was read ahead. */
  request?: () => object | undefined;
  /**
   * What the provider reads of the account a token names (SQL CTEs over `input(sub, client_id,
   * session_uid, valid)` defining `account`), read with the token when the request `wanted` it;
   * `requester`: the client making the request (null for a bearer token's own).
   */
  account?: { ctes: string; wanted: (request: object) => boolean; requester: (request: object) => string | null };
}) {
  /**
   * Read ahead: a token or code is read with its grant and provider session, which the provider
   * reads next (one statement for three). They serve this request's next reads of those two, as
   * long as it writes nothing: any write forgets them, so a hit is what the database held a moment
   * earlier in the same request. `null`: read, and not there. Each serves one read.
   */
  const readAhead = new WeakMap<object, Map<string, Payload | null>>();
  /**
   * The account a token names, read with it: it reads no record of the provider's but a session's
   * link to its portal session, so only writing a session forgets it (not a consume). By request,
   * with the `sub`, client and session it was read for; `row` null: read, and not there. Served once.
   */
  const accountsAhead = new WeakMap<object, { key: string; row: Payload | null }>();
  const accountKey = (sub: unknown, clientId: unknown, sessionUid: unknown) => JSON.stringify([sub ?? null, clientId ?? null, sessionUid ?? null]);
  const account = deps.account;
  const FIND = {
    token: findAlong({ grant: true }),
    tokenWithAccount: account ? findAlong({ grant: true, account: { input: ACCOUNT_INPUT.token, ctes: account.ctes } }) : '',
    interactionWithAccount: account ? findAlong({ grant: false, account: { input: ACCOUNT_INPUT.Interaction, ctes: account.ctes } }) : '',
  };
  /** What was read ahead for `key`, served once (the provider may change the object it gets). */
  const ahead = (key: string): Payload | null | undefined => {
    const request = deps.request?.();
    const read = request ? readAhead.get(request) : undefined;
    const known = read?.get(key);
    read?.delete(key);
    return known;
  };
  /**
   * Sends this request's pending writes: before a change that must happen at once, and before a
   * read of `reading` (the models a read sees) when one of them is pending. Writes the read cannot
   * see wait for the request's end, so that a request that fails stores them not (writeBatching).
   */
  const settle = async (reading?: readonly string[]) => {
    const batch = deps.batch?.();
    if (!batch || (reading && !batch.holds(reading))) return;
    try {
      await batch.flush();
    } catch (err) {
      throw err instanceof ConsumedElsewhere ? deps.invalidGrant(err.message) : err;
    }
  };
  /** Before any write of this request: what was read ahead may be stale. */
  const forget = () => {
    const request = deps.request?.();
    if (request) readAhead.delete(request);
  };
  return class PortalAdapter {
    /** The account `sub` read with a token of `clientId` and provider session `sessionUid` in this request, served once. */
    static accountAhead(request: object | undefined, sub: string, clientId: string | null, sessionUid: string | null): Payload | null | undefined {
      const read = request ? accountsAhead.get(request) : undefined;
      if (!read || read.key !== accountKey(sub, clientId, sessionUid)) return undefined;
      accountsAhead.delete(request!);
      return read.row;
    }

    readonly hashed: boolean;
    constructor(readonly model: string) {
      this.hashed = HASHED.has(model);
    }

    private key(id: string) {
      return this.hashed ? hashId(id) : id;
    }

    async upsert(id: string, payload: Payload, expiresIn?: number) {
      forget();
      if (this.model === 'Session') {
        const request = deps.request?.();
        if (request) accountsAhead.delete(request);
      }
      const { jti: _jti, ...rest } = payload;
      const stored = this.hashed ? rest : payload;
      const grantId = GRANTABLE.has(this.model) ? ((payload.grantId as string | undefined) ?? null) : this.model === 'Grant' ? id : null;
      const link = this.model === 'Session' && payload.accountId && payload.uid ? deps.currentLink() : undefined;
      const row: BatchRow = {
        op: 'upsert',
        model: this.model,
        id: this.key(id),
        payload: stored,
        grant_id: grantId,
        uid: this.model === 'Session' ? ((payload.uid as string | undefined) ?? null) : null,
        user_code: (payload.userCode as string | undefined) ?? null,
        account_id: (payload.accountId as string | undefined) ?? null,
        // An interaction names its client in its parameters: kept here too, so that whatever goes
        // with a client (deleted, made public) takes its sign-ins under way along.
        client_id: ((payload.clientId ?? (this.model === 'Interaction' ? (payload.params as Payload | undefined)?.client_id : undefined)) as string | undefined) ?? null,
        expires_in: typeof expiresIn === 'number' ? Math.ceil(expiresIn) : null,
        portal_session_id: link?.sessionId ?? null,
        tenant_id: link?.tenantId ?? null,
      };
      const batch = deps.batch?.();
      if (batch) batch.add(row);
      else await store([row]);
    }

    async find(id: string): Promise<Payload | undefined> {
      if (this.model === 'Client') {
        const app = await deps.clients(id);
        return app ? deps.metadata(app) : undefined;
      }
      const known = this.model === 'Grant' ? ahead(`Grant\u0000${id}`) : undefined;
      if (known !== undefined) return known ?? undefined;
      // What this read sees: the record, its grant and provider session (read along), and the
      // sessions' links to portal sessions (the account's).
      await settle([this.model, 'Grant', 'Session']);
      const db = await dbHandle();
      const request = deps.request?.();
      const kind = GRANTABLE.has(this.model) ? 'token' : this.model === 'Interaction' ? 'Interaction' : null;
      const withAccount = !!request && !!kind && !!account?.wanted(request);
      if (!request || !kind || (kind === 'Interaction' && !withAccount)) {
        const [row] = await db.queryPrepared<{ payload: Payload; consumed: number | null }>(SQL.find, [this.model, this.key(id)]);
        return row ? this.found(id, row) : undefined;
      }
      // A login this process just finished (saveInteractionResult) was read back then: its resume reads none.
      let handed = kind === 'Interaction' ? finishedHere.get(id) : undefined;
      if (handed) finishedHere.delete(id);
      if (handed && Date.now() - handed.at > FINISHED_KEPT_MS) handed = undefined;
      const text = kind === 'Interaction' ? FIND.interactionWithAccount : withAccount ? FIND.tokenWithAccount : FIND.token;
      const params = withAccount && kind === 'token' ? [this.model, this.key(id), account!.requester(request)] : [this.model, this.key(id)];
      const rows = handed?.rows ?? (await db.queryPrepared<AlongRow>(text, params));
      const found = rows.find((r) => r.part === 'token');
      if (!found) return undefined;
      if (kind === 'token') {
        const read = new Map<string, Payload | null>();
        const grantId = found.payload.grantId;
        if (typeof grantId === 'string') read.set(`Grant\u0000${grantId}`, rows.find((r) => r.part === 'Grant')?.payload ?? null);
        const sessionUid = found.payload.sessionUid;
        const session = rows.find((r) => r.part === 'Session');
        if (typeof sessionUid === 'string') read.set(`Session\u0000${sessionUid}`, session ? { ...session.payload, jti: session.id } : null);
        readAhead.set(request, read);
      }
      if (withAccount) {
        const [sub, clientId, sessionUid] = accountOfPayload[kind](found.payload);
        // Nobody signed in (an interaction not finished): nothing was read.
        if (sub) accountsAhead.set(request, { key: accountKey(sub, clientId, sessionUid), row: rows.find((r) => r.part === 'Account')?.payload ?? null });
        else accountsAhead.delete(request);
      }
      return this.found(id, found);
    }

    private found(id: string, row: { payload: Payload; consumed: number | null }): Payload {
      const found: Payload = { ...row.payload, ...(this.hashed ? { jti: id } : {}), ...(row.consumed ? { consumed: row.consumed } : {}) };
      // A used code is a reuse however late it comes back. The provider checks a code's expiry
      // before its use, and would refuse an expired one without revoking what its first use
      // issued: a used code's expiry is not shown, so it takes the path of a reuse (every check of
      // a redemption, then its grant revoked).
      if (this.model === 'AuthorizationCode' && row.consumed) delete found.exp;
      return found;
    }

    async findByUid(uid: string): Promise<Payload | undefined> {
      const known = ahead(`Session\u0000${uid}`);
      if (known !== undefined) return known ?? undefined;
      await settle(['Session']);
      const db = await dbHandle();
      const [row] = await db.queryPrepared<{ id: string; payload: Payload }>(SQL.findByUid, [uid]);
      return row ? { ...row.payload, jti: row.id } : undefined;
    }

    async findByUserCode(userCode: string): Promise<Payload | undefined> {
      await settle([this.model]);
      const db = await dbHandle();
      const [row] = await db.queryPrepared<{ payload: Payload }>(SQL.findByUserCode, [this.model, userCode]);
      return row?.payload;
    }

    async consume(id: string) {
      forget();
      // In a batch: sent with the tokens it pays for, in one statement (none stored without it, nor it without them).
      const batch = deps.batch?.();
      if (batch) return batch.add({ op: 'consume', model: this.model, id: this.key(id) });
      await settle();
      const db = await dbHandle();
      const rows = await db.queryPrepared(SQL.consume, [this.model, this.key(id)]);
      if (!rows.length) {
        // Lost a race with another redemption of the same code or refresh token: treated as reuse.
        await db.queryPrepared(SQL.revokeGrantOf, [this.model, this.key(id)]);
        throw deps.invalidGrant(`${this.model} already used`);
      }
    }

    async destroy(id: string) {
      forget();
      const row: BatchRow = { op: 'destroy', model: this.model, id: this.key(id) };
      const batch = deps.batch?.();
      if (batch) batch.add(row);
      else await store([row]);
    }

    async revokeByGrantId(grantId: string) {
      forget();
      await settle();
      const db = await dbHandle();
      await db.queryPrepared(SQL.revokeByGrantId, [this.model, grantId]);
    }
  };
}
