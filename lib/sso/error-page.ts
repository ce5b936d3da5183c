import { htmlResponse } from '../http/html';
import { LOGIN_FAILURES, type LoginFailure } from './failures';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The page a refused sign-in ends on: a 4xx, the typed reason and what to do next. */
export function signInErrorPage(reason: LoginFailure, status: number): Response {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in failed</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>body{font-family:system-ui,sans-serif;background:#f4f4f5;margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}
main{background:#fff;border:1px solid #e4e4e7;border-radius:8px;padding:24px 28px;max-width:440px}h1{font-size:20px;margin:0 0 8px}
p{color:#52525b;font-size:14px;line-height:1.5}code{background:#f4f4f5;padding:1px 4px;border-radius:4px}a{color:#18181b}</style></head>
<body><main><h1>Sign-in failed</h1><p role="alert">${esc(LOGIN_FAILURES[reason])}</p>
<p>Reason code: <code data-reason>${esc(reason)}</code></p><p><a href="/signin">Try again</a></p></main></body></html>`;
  return htmlResponse(html, { status });
}
