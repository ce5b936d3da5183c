import { describe, expect, it } from 'vitest';
import { DOMParser } from '@xmldom/xmldom';
import { domShapeProblem, xmlShapeProblem } from './xml-shape';

const nest = (n: number) => '<a>'.repeat(n) + '</a>'.repeat(n);

describe('xmlShapeProblem', () => {
  it.each<[string, string, RegExp | null]>([
    ['32 deep', nest(32), null],
    ['33 deep', nest(33), /nested more than 32 deep/],
    ['empty elements do not nest', '<r>' + '<a/>'.repeat(1000) + '</r>', null],
    ['20,000 elements', '<r>' + '<a/>'.repeat(19_999) + '</r>', null],
    ['20,001 elements', '<r>' + '<a/>'.repeat(20_000) + '</r>', /more than 20,000 elements/],
    ['a quoted > or /> in an attribute does not end the tag', '<r>' + `<a x="/>" y='>'>`.repeat(33) + '</a>'.repeat(33) + '</r>', /nested more than 32 deep/],
    ['comments, CDATA and instructions are not elements', `<?xml version="1.0"?><r><!-- ${'<a>'.repeat(40)} --><![CDATA[${'<a>'.repeat(40)}]]><?pi <a><a>?></r>`, null],
    ['stray end tags first cannot buy depth', '<r>' + '</x>'.repeat(50) + nest(40) + '</r>', /nested more than 32 deep/],
    // A lenient parser reads x=1"y as two attributes and the element stays open: no quote opened there.
    ['a stray quote in an unquoted value does not hide what follows', '<r x=1"y>' + nest(40) + '</r>', /nested more than 32 deep/],
  ])('%s', (_name, xml, problem) => {
    const p = xmlShapeProblem(xml);
    if (problem) expect(p).toMatch(problem);
    else expect(p).toBeNull();
  });
});

describe('domShapeProblem', () => {
  const parse = (xml: string) => new DOMParser({ onError: () => {} }).parseFromString(xml, 'text/xml').documentElement!;
  it('counts the parsed tree, whatever its text looked like', () => {
    expect(domShapeProblem(parse(nest(32)))).toBeNull();
    expect(domShapeProblem(parse(nest(33)))).toMatch(/nested more than 32 deep/);
    expect(domShapeProblem(parse('<r>' + '<a/>'.repeat(20_000) + '</r>'))).toMatch(/more than 20,000 elements/);
  });
});
