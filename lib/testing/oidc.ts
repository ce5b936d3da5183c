import * as discoveryRoute from '@/app/.well-known/openid-configuration/route';
import * as oidcRoute from '@/app/oidc/[...path]/route';
import * as interactionRoute from '@/app/oidc/interaction/[uid]/route';
import * as continueRoute from '@/app/oidc/interaction/[uid]/continue/route';
import * as acsRoute from '@/app/api/oauth/saml/route';
import * as sloRoute from '@/app/api/oauth/saml/slo/route';
import * as callbackRoute from '@/app/api/sso/callback/route';
import * as logoutRoute from '@/app/api/sso/logout/route';
import * as ssoRoute from '@/app/(public)/sso/route';
import { inflateRawSync } from 'node:zlib';
import { TestSamlIdp } from '@/lib/demo/saml-idp';
import { env } from '@/lib/env';
import { sp } from '@/lib/sso/sp';

/**
 * The portal's HTTP surface for the OpenID Provider, in-process: a `fetch` that hands each request
 * to the route handler Next.js would run (so `openid-client` can use it as its customFetch), and a
 * browser with a cookie jar that follows redirects and plays a test SAML IdP when sent to it.
 */
type Handler = (req: Request, ctx: { params: Promise<Record<string, string | string[]>> }) => Promise<Response>;

function route(pathname: string, method: string): { fn: Handler; params: Record<string, string | string[]> } | null {
  const m = method as 'GET';
  const pick = (mod: Record<string, unknown>) => (mod[m] as Handler | undefined) ?? null;
  if (pathname === '/.well-known/openid-configuration') {
    const fn = pick(discoveryRoute);
    return fn ? { fn, params: {} } : null;
  }
  let x = /^\/oidc\/interaction\/([^/]+)\/continue$/.exec(pathname);
  if (x) return pick(continueRoute) ? { fn: pick(continueRoute)!, params: { uid: x[1] } } : null;
  x = /^\/oidc\/interaction\/([^/]+)$/.exec(pathname);
  if (x) return pick(interactionRoute) ? { fn: pick(interactionRoute)!, params: { uid: x[1] } } : null;
  if (pathname.startsWith('/oidc/')) return pick(oidcRoute) ? { fn: pick(oidcRoute)!, params: { path: pathname.slice(6).split('/') } } : null;
  if (pathname === '/sso') return pick(ssoRoute) ? { fn: pick(ssoRoute)!, params: {} } : null;
  if (pathname === '/api/oauth/saml') return pick(acsRoute) ? { fn: pick(acsRoute)!, params: {} } : null;
  if (pathname === '/api/oauth/saml/slo') return pick(sloRoute) ? { fn: pick(sloRoute)!, params: {} } : null;
  if (pathname === '/api/sso/callback') return pick(callbackRoute) ? { fn: pick(callbackRoute)!, params: {} } : null;
  if (pathname === '/api/sso/logout') return pick(logoutRoute) ? { fn: pick(logoutRoute)!, params: {} } : null;
  return null;
}

/** fetch() against the portal's route handlers (requests to other origins go to the network). */
export async function portalFetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
  const req = input instanceof Request ? input : new Request(input, init);
  const url = new URL(req.url);
  if (url.origin !== new URL(env().PUBLIC_URL).origin) return fetch(req);
  const r = route(url.pathname, req.method);
  if (!r) return new Response('not found', { status: 404 });
  const headers = new Headers(req.headers);
  if (!headers.has('x-forwarded-for')) headers.set('x-forwarded-for', '203.0.113.10');
  const body = ['GET', 'HEAD'].includes(req.method) ? undefined : await req.arrayBuffer();
  return r.fn(new Request(url, { method: req.method, headers, body }), { params: Promise.resolve(r.params) });
}

type Cookie = { name: string; value: string; path: string };

export type SamlUser = { email: string; attributes?: Record<string, string | string[]> };

/**
 * A browser: cookies by path, redirects followed, and at the test IdP (an `idps` entry whose SSO
 * URL the portal redirects to) a signed SAML response for `user` posted to the ACS.
 */
export class TestBrowser {
  readonly jar = new Map<string, Cookie>();
  readonly visited: string[] = [];
  /** How many times this browser was sent to an IdP. */
  idpVisits = 0;
  /** How many times an IdP's single logout service answered it. */
  idpLogouts = 0;
  constructor(
    private readonly idps: TestSamlIdp[],
    public user: SamlUser | null = null,
    /** How requests reach the portal (a bench measures around it). */
    private readonly fetcher: typeof portalFetch = portalFetch,
  ) {}

  /** The login interaction this browser is in: the one its latest interaction cookie names. */
  interactionUid(): string | undefined {
    return [...this.jar.values()].filter((c) => c.name === 'oidc_interaction').map((c) => c.path.split('/')[3]).pop();
  }

  cookieHeader(url: URL): string {
    return [...this.jar.values()]
      .filter((c) => url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  private store(res: Response, url: URL) {
    for (const sc of res.headers.getSetCookie()) {
      const [pair, ...attrs] = sc.split(/;\s*/);
      const i = pair.indexOf('=');
      const name = pair.slice(0, i);
      const value = pair.slice(i + 1);
      let path = url.pathname.replace(/\/[^/]*$/, '') || '/';
      let expired = false;
      for (const a of attrs) {
        const [k, v] = a.split('=');
        if (/^path$/i.test(k)) path = v;
        if (/^expires$/i.test(k) && Date.parse(v) <= Date.now()) expired = true;
        if (/^max-age$/i.test(k) && Number(v) <= 0) expired = true;
      }
      const key = `${name};${path}`;
      if (expired) this.jar.delete(key);
      else this.jar.set(key, { name, value, path });
    }
  }

  /** Where the page's first form goes, and how (its action resolved against the page's URL). */
  static formOf(page: { url: URL; html?: string }): { action: URL; method: 'GET' | 'POST'; hidden: Record<string, string> } {
    const form = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(page.html ?? '');
    if (!form) throw new Error(`no form on ${page.url.href}`);
    const action = new URL(unescapeHtml(/action="([^"]*)"/i.exec(form[1])?.[1] ?? page.url.href), page.url);
    const hidden: Record<string, string> = {};
    for (const i of form[2].matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) hidden[i[1]] = unescapeHtml(i[2]);
    return { action, method: /method="post"/i.test(form[1]) ? 'POST' : 'GET', hidden };
  }

  /** Fills in the page's first form with `fields` and submits it, as the person would. */
  submit(page: { url: URL; html?: string }, fields: Record<string, string> = {}) {
    const { action, method, hidden } = TestBrowser.formOf(page);
    const values = new URLSearchParams({ ...hidden, ...fields });
    if (method === 'POST') return this.go(action, { method, body: values.toString() });
    for (const [k, v] of values) action.searchParams.set(k, v);
    return this.go(action);
  }

  /** Goes to `start`, following the portal's redirects; stops at another origin (the application) or a page. */
  async go(
    start: string | URL,
    /** `headers`: sent with the first request only (e.g. the Sec-Fetch-Site of a navigation another site started). */
    opts: { method?: string; body?: string; stopAt?: (next: URL) => boolean; headers?: Record<string, string> } = {},
  ): Promise<{ url: URL; status: number | null; html?: string; res?: Response }> {
    let url = new URL(start);
    let method = opts.method ?? 'GET';
    let body = opts.body;
    const portal = new URL(env().PUBLIC_URL).origin;
    for (let hop = 0; hop < 30; hop++) {
      const sloIdp = this.idps.find((i) => i.sloUrl && url.href.startsWith(i.sloUrl) && url.searchParams.has('SAMLRequest'));
      if (sloIdp) {
        // The IdP ends its session and answers the portal's LogoutRequest, signed.
        this.idpLogouts++;
        const xml = inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest')!, 'base64')).toString('utf8');
        const answer = sloIdp.buildLogoutResponseXml({ destination: sp().sloUrl, inResponseTo: /\sID="([^"]+)"/.exec(xml)![1] });
        url = new URL(`${sp().sloUrl}?${sloIdp.redirectQuery('SAMLResponse', answer, { relayState: url.searchParams.get('RelayState') ?? undefined })}`);
        method = 'GET';
        body = undefined;
        continue;
      }
      const idp = this.idps.find((i) => url.href.startsWith(i.ssoUrl));
      if (idp) {
        // The IdP signs in `user` at once (a real IdP would show its login page).
        this.idpVisits++;
        if (!this.user) throw new Error('the browser has no IdP user');
        const req = idp.parseAuthnRequest(url.searchParams.get('SAMLRequest')!);
        const samlResponse = idp.buildResponse({
          acsUrl: sp().acsUrl,
          audience: sp().entityId,
          inResponseTo: req.id,
          nameId: this.user.email,
          attributes: { email: this.user.email, firstName: 'Ada', lastName: 'Lovelace', ...this.user.attributes },
        });
        body = new URLSearchParams({ SAMLResponse: samlResponse, RelayState: url.searchParams.get('RelayState') ?? '' }).toString();
        url = new URL(sp().acsUrl);
        method = 'POST';
        continue;
      }
      if (url.origin !== portal) return { url, status: null };
      this.visited.push(`${method} ${url.pathname}`);
      const headers: Record<string, string> = { accept: 'text/html', ...(hop === 0 ? opts.headers : {}) };
      const cookie = this.cookieHeader(url);
      if (cookie) headers.cookie = cookie;
      if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
      const res = await this.fetcher(url, { method, headers, body });
      this.store(res, url);
      const loc = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && loc) {
        url = new URL(loc, url);
        if (opts.stopAt?.(url)) return { url, status: res.status };
        method = 'GET';
        body = undefined;
        continue;
      }
      const html = await res.text();
      // A page that posts its form by itself (SAML HTTP-POST binding, form_post): posted.
      const form = res.status === 200 && /<form\b[^>]*\baction="[^"]+"/i.test(html) && /document\.forms\[0\]\.submit\(\)/.test(html) ? TestBrowser.formOf({ url, html }) : null;
      if (form?.method === 'POST') {
        url = form.action;
        method = 'POST';
        body = new URLSearchParams(form.hidden).toString();
        continue;
      }
      return { url, status: res.status, html };
    }
    throw new Error(`too many redirects: ${this.visited.slice(-6).join(' → ')}`);
  }
}

const unescapeHtml = (s: string) => s.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>');
