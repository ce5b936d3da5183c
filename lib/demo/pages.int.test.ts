import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POST } from '@/app/(public)/demo-idp/sso/route';

const g = globalThis as { __portalEnv?: unknown };

describe('the demo IdP’s sign-in form', () => {
  beforeAll(() => {
    process.env.DEMO_MODE = 'true';
    g.__portalEnv = undefined;
  });
  afterAll(() => {
    delete process.env.DEMO_MODE;
    g.__portalEnv = undefined;
  });

  const post = (body: string) => POST(new Request('http://localhost:3000/demo-idp/sso', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body }));

  it('a form too large is a 413 page that says so, not a 500', async () => {
    const res = await post(`user=${'a'.repeat(70 * 1024)}`);
    expect(res.status).toBe(413);
    expect(await res.text()).toContain('too large');
  });

  it('a user not among the samples is a 400', async () => {
    const res = await post('user=nobody%40demo.example.com&requestId=_x');
    expect(res.status).toBe(400);
  });
});
