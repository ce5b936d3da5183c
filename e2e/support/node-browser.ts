import type { TestSamlIdp } from '../idp/saml-idp';

/**
 * A browser in Node (no rendering): cookies by path, redirects followed, each request to the
 * portal's origin sent to the next of several instances in turn (a round-robin load balancer),
 * and at the test IdP a signed SAML response for `email` posted back to the ACS.
 */
export class NodeBrowser {
  private readonly jar = new Map<string, { name: string; value: string; path: string }>();
  private turn = 0;
  readonly instancesUsed: string[] = [];
  constructor(
    private readonly publicUrl: string,
    private readonly instances: string[],
    private readonly idp: TestSamlIdp,
    private readonly sp: { acsUrl: string; entityId: string },
    private readonly email: string,
    private readonly attributes: Record<string, string | string[]> = { groups: ['Engineering'] },
  ) {}

  private cookieHeader(url: URL) {
    return [...this.jar.values()]
      .filter((c) => url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  private store(res: Response, url: URL) {
    for (const sc of res.headers.getSetCookie()) {
      const [pair, ...attrs] = sc.split(/;\s*/);
      const i = pair.indexOf('=');
      let path = url.pathname.replace(/\/[^/]*$/, '') || '/';
      let gone = false;
      for (const a of attrs) {
        const [k, v] = a.split('=');
        if (/^path$/i.test(k)) path = v;
        if (/^max-age$/i.test(k) && Number(v) <= 0) gone = true;
      }
      const key = `${pair.slice(0, i)};${path}`;
      if (gone) this.jar.delete(key);
      else this.jar.set(key, { name: pair.slice(0, i), value: pair.slice(i + 1), path });
    }
  }

  /** Follows the portal's redirects from `start`; answers where it left the portal's origin, or the page it stopped at. */
  async go(start: string): Promise<{ url: URL; status?: number; text?: string }> {
    let url = new URL(start);
    let method = 'GET';
    let body: string | undefined;
    for (let hop = 0; hop < 30; hop++) {
      if (url.href.startsWith(this.idp.ssoUrl)) {
        const req = this.idp.parseAuthnRequest(url.searchParams.get('SAMLRequest')!);
        const samlResponse = this.idp.buildResponse({
          acsUrl: this.sp.acsUrl,
          audience: this.sp.entityId,
          inResponseTo: req.id,
          nameId: this.email,
          attributes: { email: this.email, firstName: 'Grace', lastName: 'Hopper', ...this.attributes },
        });
        body = new URLSearchParams({ SAMLResponse: samlResponse, RelayState: url.searchParams.get('RelayState') ?? '' }).toString();
        url = new URL(this.sp.acsUrl);
        method = 'POST';
        continue;
      }
      if (url.origin !== new URL(this.publicUrl).origin) return { url };
      const instance = this.instances[this.turn++ % this.instances.length];
      this.instancesUsed.push(`${method} ${url.pathname} → ${instance}`);
      const target = new URL(url.pathname + url.search, instance);
      const headers: Record<string, string> = {};
      const cookie = this.cookieHeader(url);
      if (cookie) headers.cookie = cookie;
      if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
      const res = await fetch(target, { method, headers, body, redirect: 'manual' });
      this.store(res, url);
      const loc = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && loc) {
        url = new URL(loc, url);
        method = 'GET';
        body = undefined;
        continue;
      }
      return { url, status: res.status, text: await res.text() };
    }
    throw new Error('too many redirects');
  }
}
