import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/** Every .tsx under these folders. */
function sources(...dirs: string[]): string[] {
  const root = path.resolve(__dirname, '../..');
  return dirs.flatMap((d) =>
    (readdirSync(path.join(root, d), { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
      .filter((e) => e.isFile() && e.name.endsWith('.tsx'))
      .map((e) => path.join(e.parentPath, e.name)),
  );
}

describe('forms that React submits', () => {
  // A plain <form onSubmit> without a method is a GET before hydration: every field in the address.
  it('are the shared Form (it posts, and waits for hydration); a plain <form> is a search or a native post', () => {
    const offenders: string[] = [];
    for (const file of sources('app', 'components')) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/<form\b[^>]*>/g)) {
        const tag = m[0];
        if (/onSubmit/.test(tag) || !/role="search"|method="(post|get)"|method=\{method\}|action=\{/.test(tag)) offenders.push(`${path.relative(process.cwd(), file)}: ${tag.slice(0, 80)}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
