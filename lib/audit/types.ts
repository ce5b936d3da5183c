export type ActorType = 'operator' | 'admin' | 'user' | 'idp' | 'directory' | 'system';
export type Actor = { type: ActorType; id?: string | null; label?: string | null };
export type Target = { type: string; id: string; label?: string | null };

/** Who does something, and from where: passed first to every DAL function. */
export type Ctx = { actor: Actor; ip?: string | null; userAgent?: string | null };
export type TenantCtx = Ctx & { tenantId: string };

export const SYSTEM: Ctx = { actor: { type: 'system', id: null, label: 'portal' } };
