/**
 * The shape budget of XML an outsider sends (SAML responses and logout messages, IdP metadata),
 * checked on the text before any parser or DOM walk sees it. Real documents have a few hundred
 * elements at most a dozen deep; DOM lookups below an element walk its subtree, so a document of
 * many small elements nested deep made lookups per element cost elements × depth (a 375 KB
 * response held the process for 80 s). With these bounds every later walk is linear.
 */
export const XML_MAX_ELEMENTS = 20_000;
export const XML_MAX_DEPTH = 32;

/**
 * Null when `xml` opens at most `maxElements` elements nested at most `maxDepth` deep, else why
 * not. One pass over the text; comments, CDATA, processing instructions and quoted attribute
 * values are skipped. Not a well-formedness check: the parser does that afterwards.
 */
export function xmlShapeProblem(xml: string, maxElements = XML_MAX_ELEMENTS, maxDepth = XML_MAX_DEPTH): string | null {
  let elements = 0;
  let depth = 0;
  let i = xml.indexOf('<');
  while (i !== -1 && i < xml.length) {
    const next = xml[i + 1];
    if (next === '/') {
      depth = Math.max(0, depth - 1); // stray end tags cannot buy depth for later elements
      i = xml.indexOf('>', i);
    } else if (next === '!') {
      const end = xml.startsWith('<!--', i) ? xml.indexOf('-->', i + 4) : xml.startsWith('<![CDATA[', i) ? xml.indexOf(']]>', i + 9) : xml.indexOf('>', i);
      i = end;
    } else if (next === '?') {
      i = xml.indexOf('?>', i + 2);
    } else {
      if (++elements > maxElements) return `more than ${maxElements.toLocaleString('en')} elements`;
      if (++depth > maxDepth) return `elements nested more than ${maxDepth} deep`;
      // To the tag's end, past quoted attribute values (which may hold '>'); a quote opens a value
      // only after '=' (a lenient parser reads a stray one as part of an unquoted value).
      let j = i + 1;
      let quote = '';
      let afterEquals = false;
      for (; j < xml.length; j++) {
        const c = xml[j];
        if (quote) {
          if (c === quote) quote = '';
        } else if ((c === '"' || c === "'") && afterEquals) quote = c;
        else if (c === '>') break;
        if (!quote && c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') afterEquals = c === '=';
      }
      if (xml[j - 1] === '/') depth--; // <empty/>
      i = j;
    }
    if (i === -1) break;
    i = xml.indexOf('<', i + 1);
  }
  return null;
}

/** Minimal DOM node shape (xmldom's), for {@link domShapeProblem}. */
type ShapeNode = { nodeType: number; firstChild: ShapeNode | null; nextSibling: ShapeNode | null };

/**
 * The same budget on a parsed tree, whatever the text scan made of it (a lenient parser may read
 * text differently): one walk without recursion, before any lookup. Null when within it.
 */
export function domShapeProblem(root: ShapeNode, maxElements = XML_MAX_ELEMENTS, maxDepth = XML_MAX_DEPTH): string | null {
  let elements = 0;
  const stack: [ShapeNode, number][] = [[root, 1]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (node.nodeType !== 1) continue;
    if (++elements > maxElements) return `more than ${maxElements.toLocaleString('en')} elements`;
    if (depth > maxDepth) return `elements nested more than ${maxDepth} deep`;
    for (let c = node.firstChild; c; c = c.nextSibling) if (c.nodeType === 1) stack.push([c, depth + 1]);
  }
  return null;
}
