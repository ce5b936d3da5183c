import { escapeHtml as esc, htmlResponse } from '@/lib/http/html';

/** The 403 page of the tenant console's IP allowlist. Plain HTML: it is served by a route handler, outside the console layout. */
export function consoleBlockedPage(ip: string | null): Response {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Console not available from this network</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>body{font-family:system-ui,sans-serif;background:#f4f4f5;margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}
main{background:#fff;border:1px solid #e4e4e7;border-radius:8px;padding:24px 28px;max-width:460px}h1{font-size:20px;margin:0 0 8px}
p{color:#52525b;font-size:14px;line-height:1.5}code{background:#f4f4f5;padding:1px 4px;border-radius:4px}</style></head>
<body><main><h1>Console not available from this network</h1>
<p role="alert">Your organisation allows its admin console to be used only from approved networks (its console IP allowlist), and this request comes from elsewhere.</p>
<p>Your address: <code data-ip>${esc(ip ?? 'unknown')}</code></p>
<p>Connect from an approved network, or ask your vendor's operator to add this address to the console allowlist.</p>
<p>Reason code: <code data-reason>console_ip_not_allowed</code></p></main></body></html>`;
  return htmlResponse(html, { status: 403 });
}
