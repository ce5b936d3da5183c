import { AppError } from '../errors';

/** Deepest nesting of arrays and objects accepted in JSON from outside (SCIM and API bodies need far less). */
export const MAX_JSON_DEPTH = 64;

/**
 * The nesting depth of a JSON text, read in one pass without recursion (strings skipped, escapes
 * honoured). Stops as soon as `limit` is passed, so a hostile document costs one scan at most.
 */
export function jsonDepth(text: string, limit = Infinity): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

/**
 * JSON.parse for documents from outside: nesting deeper than `maxDepth` is refused before parsing
 * (400 `invalid_json`), as is malformed JSON (with the parser's position).
 */
export function parseJson(text: string, maxDepth = MAX_JSON_DEPTH): unknown {
  if (jsonDepth(text, maxDepth) > maxDepth) {
    throw new AppError(400, 'invalid_json', `JSON is nested more than ${maxDepth} levels deep`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new AppError(400, 'invalid_json', `Malformed JSON: ${(e as Error).message}`);
  }
}
