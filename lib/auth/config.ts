import NextAuth, { CredentialsSignin } from 'next-auth';
import { cache } from 'react';
import Credentials from 'next-auth/providers/credentials';
import { z } from 'zod';
import { SESSION_TTL_SECONDS, startOperatorSession } from '../dal/operators';
import { operatorSignIn } from './throttle';
import { endSession, liveSession } from '../dal/sessions';
import { env } from '../env';
import { isDatabaseUnavailable } from '../errors';
import { requestMeta } from '../http/request-meta';
import { log } from '../log';
import { enforceSessionPolicy } from '../policies/sessions';

const credentialsSchema = z.object({ email: z.email().max(320), password: z.string().min(1).max(1024) });

class BadCredentials extends CredentialsSignin {
  code = 'bad_credentials';
}

class Throttled extends CredentialsSignin {
  code = 'throttled';
}

/**
 * Whether this request's session check failed on the database (per page render; React's cache
 * scope). Auth.js turns any failure of the check into "no session"; a guard reads this so that a
 * moment's outage answers the error page instead of the sign-in page (lib/auth/guards.ts).
 */
export const sessionCheck = cache(() => ({ databaseUnavailable: false }));

/**
 * Auth.js issues the session cookie (a signed, encrypted JWT that names a row of `sessions`).
 * Every read checks that row, so deleting it ends the session at once.
 */
export const { handlers, auth, signIn, signOut } = NextAuth(() => ({
  secret: env().AUTH_SECRET,
  trustHost: true,
  session: { strategy: 'jwt', maxAge: SESSION_TTL_SECONDS },
  pages: { signIn: '/login', error: '/login' },
  logger: {
    // A wrong password is an expected outcome, not an error worth a stack trace.
    error: (err: Error) => {
      if (err.name !== 'CredentialsSignin') log('error', 'auth error', { err });
    },
    warn: (code: string) => log('warn', 'auth warning', { code }),
    debug: () => {},
  },
  providers: [
    Credentials({
      id: 'operator',
      name: 'Operator',
      credentials: { email: { label: 'Email' }, password: { label: 'Password', type: 'password' } },
      async authorize(raw, request) {
        const parsed = credentialsSchema.safeParse(raw);
        if (!parsed.success) throw new BadCredentials();
        const meta = requestMeta(request);
        const { email, password } = parsed.data;
        // Throttled per account and per address; every failure is audited (operator.login_failed).
        const attempt = await operatorSignIn(email, password, meta);
        if ('refused' in attempt) throw attempt.refused === 'throttled' ? new Throttled() : new BadCredentials();
        const { op } = attempt;
        const { sessionId } = await startOperatorSession(meta, op);
        return { id: op.id, email: op.email, name: op.email, sessionId, kind: 'operator' };
      },
    }),
  ],
  callbacks: {
    async jwt({ token, user }) {
      if (user) {
        const u = user as { id: string; sessionId: string; kind: string };
        return { ...token, sub: u.id, sid: u.sessionId, kind: u.kind };
      }
      if (typeof token.sid !== 'string') return null;
      let row: Awaited<ReturnType<typeof liveSession>>;
      let expiresAt: Date | null = null;
      try {
        row = await liveSession(token.sid);
        // The tenant's sign-in policy: session lifetime and idle timeout (the row is deleted when over).
        if (row) expiresAt = await enforceSessionPolicy(row);
      } catch (err) {
        if (isDatabaseUnavailable(err)) sessionCheck().databaseUnavailable = true;
        throw err;
      }
      if (!row || !expiresAt) return null;
      return { ...token, exp: Math.floor(expiresAt.getTime() / 1000), tenantId: row.tenantId, roles: row.roles, scopes: row.scopes ?? undefined };
    },
    async session({ session, token }) {
      const kind = token.kind as string;
      return {
        ...session,
        expires: new Date((token.exp as number) * 1000).toISOString(),
        user: {
          id: token.sub!,
          email: token.email ?? '',
          name: token.name ?? token.email ?? '',
          tenantId: (token.tenantId as string | null) ?? null,
          roles: kind === 'operator' ? ['operator'] : ((token.roles as string[] | undefined) ?? []),
          kind,
          ...(token.scopes ? { scopes: token.scopes } : {}),
        },
        sessionId: token.sid as string,
      } as never;
    },
  },
  events: {
    async signOut(message) {
      const sid = 'token' in message ? (message.token?.sid as string | undefined) : undefined;
      if (sid) await endSession(sid);
    },
  },
}));
