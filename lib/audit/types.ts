export type ActorType = 'operator' | 'admin' | 'user' | 'idp' | 'directory' | 'system';
export type Actor = { type: ActorType; id?: string | null; label?: string | null };
export type Target = { type: string; id: string; label?: string | null };

/**
 * Who does something, and from where: passed first to every DAL function. `consoleScopes` is
 * what a tenant admin in the console holds (setup link or console access); absent for operators,
 * the API and the system, who hold everything. Nobody may grant a console scope they lack.
 */
export type Ctx = { actor: Actor; ip?: string | null; userAgent?: string | null; consoleScopes?: readonly string[] };
export type TenantCtx = Ctx & { tenantId: string };

export const SYSTEM: Ctx = { actor: { type: 'system', id: null, label: 'portal' } };
