/** How a receiver checks a delivery: shown on the endpoint page. */
export function VerifyHelp() {
  return (
    <div className="grid gap-2 text-sm">
      <p>
        Each event is POSTed as JSON <code>{'{ id, type, occurredAt, tenantId, data: { actor, target, outcome, reason, details } }'}</code>; change
        webhooks add <code>data.user</code> (the user&apos;s current state) to <code>user.*</code> events while the user exists. <code>id</code> is the
        audit event id, the same on every retry: use it to drop duplicates. Answer with a 2xx within 10 seconds; anything else is retried with
        exponential backoff (from 2 s up to 1 h), in order.
      </p>
      <p>
        Check the <code>Portal-Signature: t=…,v1=…</code> header: HMAC-SHA256 of <code>&lt;t&gt;.&lt;raw body&gt;</code> with the signing secret,
        hex-encoded, compared in constant time, and refuse a <code>t</code> more than 5 minutes away:
      </p>
      <pre className="overflow-x-auto rounded-md bg-muted p-3 font-mono text-xs">{`import { createHmac, timingSafeEqual } from 'node:crypto';

export function verifySignature(header, rawBody, secret, toleranceSeconds = 300) {
  const parts = Object.fromEntries(String(header ?? '').split(',').map((p) => p.split('=', 2)));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || !/^[0-9a-f]{64}$/.test(parts.v1 ?? '')) return false;
  if (Math.abs(Date.now() / 1000 - t) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(\`\${t}.\${rawBody}\`).digest('hex');
  return timingSafeEqual(Buffer.from(parts.v1), Buffer.from(expected));
}`}</pre>
    </div>
  );
}
