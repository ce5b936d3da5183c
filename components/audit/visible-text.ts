/**
 * Text from the audit log as it should be shown: control characters (CR, LF, tab, NUL…) become
 * their visible symbols (␍ ␊ ␉ ␀) and bidirectional overrides are spelled out, so a NameID such
 * as "alice\nadmin@corp" cannot pass for two lines or reorder what follows. React escapes markup.
 */
export function visibleText(s: string | null | undefined): string {
  if (s == null) return '';
  return s
    .replace(/[\u0000-\u001f]/g, (c) => String.fromCharCode(0x2400 + c.charCodeAt(0)))
    .replace(/\u007f/g, '\u2421')
    .replace(/[\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => `<U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}>`);
}

/** 2025-01-31 12:00:05 UTC — the same on the server and in every browser (no locale, no hydration mismatch). */
export const utc = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
