import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as brandingRoute from '@/app/api/v1/branding/route';
import * as logoRoute from '@/app/branding/logo/route';
import { getDb } from '@/lib/db/client';
import { auditEvents } from '@/lib/db/schema';
import { signInErrorPage } from '@/lib/sso/error-page';
import { call } from '@/lib/testing/api';
import { currentBranding, getBranding } from './branding';

const PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
const patch = (body: unknown) => call(brandingRoute.PATCH, { method: 'PATCH', path: '/api/v1/branding', body });
const get = () => call(brandingRoute.GET, { path: '/api/v1/branding' });

beforeAll(async () => {
  await getDb();
}, 60_000);
afterAll(async () => {
  await patch({ productName: null, accentColor: null, logo: null });
});

describe('branding', () => {
  it('sets the product name, accent colour and logo; the pages and the logo route use them; null restores the default', async () => {
    const set = await patch({ productName: 'Acme Cloud', accentColor: '#4F46E5', logo: PNG });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ productName: 'Acme Cloud', accentColor: '#4f46e5' });
    expect(set.body.logoUrl).toMatch(/^\/branding\/logo\?v=\d+$/);
    expect((await get()).body).toEqual(set.body);
    expect(await getBranding()).toMatchObject({ productName: 'Acme Cloud', accentColor: '#4f46e5', accentForeground: '#ffffff', custom: true });

    const logo = await logoRoute.GET();
    expect(logo.status).toBe(200);
    expect(logo.headers.get('content-type')).toBe('image/png');
    expect(logo.headers.get('x-content-type-options')).toBe('nosniff');
    expect(logo.headers.get('content-security-policy')).toContain('sandbox');
    expect(Buffer.from(await logo.arrayBuffer()).subarray(1, 4).toString()).toBe('PNG');

    const page = await signInErrorPage('unknown_tenant', 404).text();
    expect(page).toContain('Acme Cloud');
    expect(page).toContain(`<img src="${set.body.logoUrl}" alt="">`);
    expect(page).toContain('a{color:#4f46e5}');

    const cleared = await patch({ productName: null, accentColor: null, logo: null });
    expect(cleared.body).toEqual({ productName: null, accentColor: null, logoUrl: null, updatedAt: expect.any(String) });
    expect((await logoRoute.GET()).status).toBe(404);
    expect(currentBranding()).toMatchObject({ productName: 'SSO Portal', accentColor: null, logoUrl: null, custom: false });

    const db = await getDb();
    const events = (await db.select().from(auditEvents).orderBy(auditEvents.id)).filter((e) => e.action === 'branding.updated').slice(-2);
    expect(events.map((e) => e.tenantId)).toEqual([null, null]);
    expect(events[0].details).toMatchObject({ after: { productName: 'Acme Cloud', accentColor: '#4f46e5', logo: 'image/png, 70 bytes' } });
  });

  it('refuses bad input with 400 naming the field, and changes nothing', async () => {
    await patch({ productName: 'Kept' });
    const svg = `data:image/svg+xml;base64,${Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>').toString('base64')}`;
    const pngClaimingJpeg = PNG.replace('image/png', 'image/jpeg');
    const html = `data:image/png;base64,${Buffer.from('<html><script>alert(1)</script></html>').toString('base64')}`;
    const huge = `data:image/png;base64,${Buffer.concat([Buffer.from(PNG.split(',')[1], 'base64'), Buffer.alloc(300 * 1024)]).toString('base64')}`;
    const cases: [unknown, string][] = [
      [{ accentColor: 'red' }, 'accentColor'],
      [{ accentColor: '#12345' }, 'accentColor'],
      [{ productName: '' }, 'productName'],
      [{ productName: 'x'.repeat(61) }, 'productName'],
      [{ productName: '<script>' }, 'productName'],
      [{ logo: svg }, 'logo'],
      [{ logo: pngClaimingJpeg }, 'logo'],
      [{ logo: html }, 'logo'],
      [{ logo: huge }, 'logo'],
      [{ logo: 'https://evil.example/logo.png' }, 'logo'],
      [{ colour: '#000000' }, 'colour'],
    ];
    for (const [body, path] of cases) {
      const r = await patch(body);
      expect(r.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(r.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    }
    expect((await get()).body).toMatchObject({ productName: 'Kept', accentColor: null, logoUrl: null });
  });
});
