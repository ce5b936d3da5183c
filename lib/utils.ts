import { clsx, type ClassValue } from 'clsx';
import { twMerge } from 'tailwind-merge';

export function cn(...inputs: ClassValue[]) {
  return twMerge(clsx(inputs));
}

/** The domain of an email address, lower case ("" without an @). */
export const emailDomain = (email: string) => (email.includes('@') ? email.slice(email.lastIndexOf('@') + 1).trim().toLowerCase() : '');

/** "1 user", "3 users". */
export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** A moment as people read it in the consoles: "2026-12-05 17:30 UTC". */
export const utcMinute = (v: Date | string) => `${(typeof v === 'string' ? v : v.toISOString()).slice(0, 16).replace('T', ' ')} UTC`;

/**
 * A message as a sentence for people: capital first letter, closing full stop. The API keeps its
 * messages as they are ("must be https"); forms show them this way.
 */
export const sentence = (m: string) => {
  const t = m.trim();
  if (!t) return t;
  const s = t[0].toUpperCase() + t.slice(1);
  return /[.!?…)"”]$/.test(s) ? s : `${s}.`;
};
