import { z } from 'zod';

/** Consumer mailbox providers: never a company's domain. */
export const CONSUMER_MAIL_DOMAINS = new Set([
  'gmail.com', 'googlemail.com', 'yahoo.com', 'yahoo.co.uk', 'yahoo.fr', 'yahoo.de', 'ymail.com',
  'outlook.com', 'hotmail.com', 'hotmail.co.uk', 'hotmail.fr', 'live.com', 'msn.com',
  'icloud.com', 'me.com', 'mac.com', 'aol.com', 'proton.me', 'protonmail.com', 'pm.me',
  'gmx.com', 'gmx.de', 'gmx.net', 'web.de', 'yandex.com', 'yandex.ru', 'mail.ru', 'qq.com',
  '163.com', '126.com', 'zoho.com', 'fastmail.com', 'hey.com', 'tutanota.com', 'tuta.io',
  'mail.com', 'inbox.com', 'rediffmail.com', 'naver.com', 'daum.net', 'comcast.net', 'verizon.net',
  'att.net', 'orange.fr', 'free.fr', 'laposte.net', 't-online.de', 'libero.it', 'seznam.cz',
]);

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** A company email domain: a hostname with a dot (stored lower-case), no scheme, no wildcard, not consumer mail. */
export const domainSchema = z
  .string({ error: 'must be a string' })
  .trim()
  .toLowerCase()
  .min(1, 'must not be empty')
  .max(253, 'must be at most 253 characters')
  .refine((d) => !d.includes('://') && !d.includes('/'), 'must be a bare domain, without scheme or path')
  .refine((d) => !d.includes('*'), 'wildcards are not allowed')
  .refine((d) => {
    const labels = d.split('.');
    return labels.length >= 2 && labels.every((l) => LABEL.test(l)) && /[a-z]/.test(labels.at(-1)!);
  }, 'must be a valid domain name such as example.com')
  .refine((d) => !CONSUMER_MAIL_DOMAINS.has(d), 'consumer mail domains cannot belong to a tenant');

export const domainListSchema = z
  .array(domainSchema)
  .max(100, 'at most 100 domains')
  .refine((list) => new Set(list).size === list.length, 'must not repeat a domain');

export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/;
export const slugSchema = z
  .string({ error: 'must be a string' })
  .trim()
  .regex(SLUG_PATTERN, 'must be 1–48 lower-case letters, digits or hyphens, not starting or ending with a hyphen');

export const nameSchema = z
  .string({ error: 'must be a string' })
  .trim()
  .min(1, 'must not be empty')
  .max(120, 'must be at most 120 characters');

/** `?limit=` of every list: default 50 (also when empty), at most 200. */
export const limitSchema = z.preprocess(
  (v) => (v === '' ? undefined : v),
  z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be from 1 to 200').max(200, 'must be from 1 to 200').default(50),
);

/** `?limit=` and `?cursor=` of every list. */
export const listQuerySchema = z.object({
  limit: limitSchema,
  cursor: z.string().max(200).optional(),
});

/** A slug made from a display name ("Acme Corp." → "acme-corp"). */
export function slugify(name: string): string {
  const s = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/g, '');
  return s || 'tenant';
}
