import { describe, expect, it } from 'vitest';
import { jsonDepth, MAX_JSON_DEPTH, parseJson } from './json';

describe('parseJson: JSON from outside', () => {
  it.each([
    ['{}', 1],
    ['[]', 1],
    ['"x"', 0],
    ['{"a":[{"b":[1]}]}', 4],
    ['{"a":"[[[[{{{{"}', 1], // brackets inside strings do not count
    ['{"a":"\\"[[[["}', 1], // nor after an escaped quote
    ['[1,[2,[3]],[4]]', 3],
  ])('depth of %s is %i', (text, depth) => {
    expect(jsonDepth(text)).toBe(depth);
  });

  it('refuses 5,000 levels of nesting with a 400 before parsing, without recursion', () => {
    for (const text of ['['.repeat(5000) + ']'.repeat(5000), '{"a":'.repeat(5000) + '1' + '}'.repeat(5000), '['.repeat(1_000_000)]) {
      expect(() => parseJson(text)).toThrow(expect.objectContaining({ status: 400, code: 'invalid_json', message: `JSON is nested more than ${MAX_JSON_DEPTH} levels deep` }));
    }
  });

  it('accepts nesting up to the limit and names the position of malformed JSON', () => {
    expect(parseJson('['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH))).toBeTruthy();
    expect(() => parseJson('{"a":')).toThrow(expect.objectContaining({ status: 400, message: expect.stringMatching(/^Malformed JSON/) }));
  });
});
