/**
 * The preview's sample: attributes pasted as JSON or as SAML, turned into what the rules see.
 *
 * At sign-in the rules see the IdP's attributes plus `email` and `groups` as the portal read them
 * (lib/provisioning/jit.ts `mappingInput`). A pasted sample that has no `email` / `groups` of its
 * own gets them the way the sign-in derives them (lib/sso/flow.ts `toIdpProfile` and the SSO
 * library's claim mapping): `email` from the WS-Federation email claim, `groups` from the first
 * non-empty of the usual group attributes. The preview says when it did so.
 */
import { parseSamlAttributes, type XmlParser } from './saml-attributes';

export type SampleResult =
  | { ok: true; format: 'json' | 'saml'; attributes: Record<string, string[]>; notes: string[] }
  | { ok: false; error: string };

const EMAIL_CLAIMS = ['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress'];
const GROUP_CLAIMS = [
  'http://schemas.xmlsoap.org/claims/Group',
  'group',
  'memberOf',
  'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups',
];

const MAX_JSON_ATTRIBUTES = 500;

function scalar(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

/** A JSON object of attributes: `{ "groups": ["A", "B"], "department": "Sales" }` (or the preview API body `{ "attributes": {…} }`). */
export function parseJsonAttributes(text: string): SampleResult {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `Not valid JSON: ${(e as Error).message}` };
  }
  if (data && typeof data === 'object' && !Array.isArray(data)) {
    const keys = Object.keys(data);
    const inner = (data as Record<string, unknown>).attributes;
    if (keys.length === 1 && keys[0] === 'attributes' && inner && typeof inner === 'object' && !Array.isArray(inner)) data = inner;
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    return { ok: false, error: 'Expected a JSON object of attribute names to values, such as {"groups": ["Engineering"]}.' };
  }
  const entries = Object.entries(data as Record<string, unknown>);
  if (entries.length > MAX_JSON_ATTRIBUTES) return { ok: false, error: `More than ${MAX_JSON_ATTRIBUTES} attributes; paste fewer.` };
  const attributes: Record<string, string[]> = Object.create(null);
  const skipped: string[] = [];
  for (const [name, raw] of entries) {
    if (raw === null || raw === undefined) continue;
    const list = Array.isArray(raw) ? raw : [raw];
    const values = list.map(scalar);
    if (values.some((v) => v === null)) {
      skipped.push(name);
      continue;
    }
    attributes[name] = values as string[];
  }
  const notes = skipped.length ? [`Ignored ${skipped.map((s) => `“${s}”`).join(', ')}: not a string or a list of strings.`] : [];
  return { ok: true, format: 'json', attributes, notes };
}

/** Pasted text as attributes: JSON when it starts with `{`, SAML otherwise. */
export function parseSample(text: string, xmlParser?: XmlParser): SampleResult {
  const t = text.trim();
  if (!t) return { ok: false, error: 'Paste attributes first.' };
  if (t.startsWith('{')) return parseJsonAttributes(t);
  const saml = parseSamlAttributes(t, xmlParser);
  if (!saml.ok) return saml;
  const notes = saml.encrypted ? [`${saml.encrypted} encrypted attribute(s) could not be read.`] : [];
  return { ok: true, format: 'saml', attributes: saml.attributes, notes };
}

const nonEmpty = (v: readonly string[] | undefined) => (v ?? []).filter((s) => s !== '');

/**
 * What the rules see for these attributes, as at sign-in (lib/provisioning/jit.ts `mappingInput`):
 * a copy in which `email` is the one address the sign-in reads (the `email` attribute, else the
 * WS-Federation email claim) and `groups` the first non-empty of `groups` and the usual group
 * attributes. `notes` says when they came from another attribute.
 */
export function ruleInputOf(attributes: Record<string, string[]>): { input: Record<string, string[]>; notes: string[] } {
  const input: Record<string, string[]> = Object.create(null);
  for (const [k, v] of Object.entries(attributes)) input[k] = [...v];
  const notes: string[] = [];
  const emailFrom = ['email', ...EMAIL_CLAIMS].find((c) => nonEmpty(input[c]).length);
  input.email = emailFrom ? [nonEmpty(input[emailFrom])[0].trim()] : [];
  if (emailFrom && emailFrom !== 'email') notes.push(`email is taken from ${emailFrom}, as at sign-in.`);
  const groupsFrom = ['groups', ...GROUP_CLAIMS].find((c) => nonEmpty(input[c]).length);
  input.groups = groupsFrom ? nonEmpty(input[groupsFrom]) : [];
  if (groupsFrom && groupsFrom !== 'groups') notes.push(`groups is taken from ${groupsFrom}, as at sign-in.`);
  return { input, notes };
}
