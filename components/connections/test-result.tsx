import { Badge } from '@/components/ui/badge';
import { testVerdict, VERDICT_LABEL, type ConnectionTestResult } from '@/lib/validation/connections';

const when = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;

/** The order of the read-out of a refused response (the stored JSON does not keep key order). */
const OBSERVED_ORDER = [
  'error', 'issuer', 'status', 'statusMessage', 'destination', 'audience', 'recipient', 'inResponseTo', 'notBefore', 'notOnOrAfter',
  'subjectConfirmationNotOnOrAfter', 'nameId', 'nameIdFormat', 'signatureAlgorithm', 'signed',
];
const rank = (k: string) => (OBSERVED_ORDER.includes(k) ? OBSERVED_ORDER.indexOf(k) : OBSERVED_ORDER.length);

/** The last test sign-in of a connection, as stored in `lastTest`. */
export function TestResultView({ result }: { result: ConnectionTestResult | null }) {
  if (!result) {
    return <p className="text-sm text-muted-foreground">No test yet. Use “Test sign-in” and sign in at your identity provider with a test account.</p>;
  }
  const ok = result.outcome === 'success';
  const verdict = testVerdict(result);
  const problems = (result.checks ?? []).filter((c) => !c.ok);
  const identity: [string, string | null | undefined][] = [
    ['Issuer', result.issuer],
    ['NameID', result.nameId],
    ['NameID format', result.nameIdFormat],
    ['Subject', result.subject],
    ['Email', result.email],
    ['First name', result.firstName],
    ['Last name', result.lastName],
    ['Authentication context', result.authnContextClassRef],
    ['Session not on or after', result.sessionNotOnOrAfter],
  ];
  const attributes = Object.entries(result.attributes ?? {});
  const observed = Object.entries(result.observed ?? {})
    .filter(([, v]) => v)
    .sort(([a], [b]) => rank(a) - rank(b));
  return (
    <section aria-label="Last test" className="grid gap-4 text-sm">
      <div className="flex items-center gap-2">
        <Badge tone={verdict === 'passed' ? 'good' : verdict === 'problems' ? 'warn' : 'bad'}>{VERDICT_LABEL[verdict]}</Badge>
        <span className="text-muted-foreground">{when(result.at)}</span>
      </div>
      {ok && problems.length > 0 && (
        <div role="alert" aria-label="Problems to fix" className="grid gap-2 rounded-md border border-amber-200 bg-amber-50 p-3">
          <p>The identity provider’s answer was accepted, but a real sign-in of this person would be refused:</p>
          <ul className="grid gap-1">
            {problems.map((c) => (
              <li key={c.name}>
                <span className="font-medium">{c.name}</span>: {c.detail}.{c.fix ? ` ${c.fix}` : ''}
              </li>
            ))}
          </ul>
        </div>
      )}
      {!ok && (
        <div role="alert" className="grid gap-2 rounded-md border border-amber-200 bg-amber-50 p-3">
          <p>
            {result.message} <code className="rounded bg-white px-1 text-xs">{result.reason}</code>
          </p>
          <p>
            <span className="font-medium">How to fix it: </span>
            {result.hint}
          </p>
        </div>
      )}
      {observed.length > 0 && (
        <table aria-label="Values the IdP sent" className="w-full">
          <tbody>
            {observed.map(([k, v]) => (
              <tr key={k} className="border-t border-border align-top">
                <th scope="row" className="w-48 py-1 pr-3 text-left font-medium">
                  {k}
                </th>
                <td className="break-all py-1 font-mono text-xs">
                  {v}
                  {result.expected?.[k] && result.expected[k] !== v && (
                    <span className="block text-destructive">expected {result.expected[k]}</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {(ok || result.email) && (
        <>
          <table aria-label="Identity received" className="w-full">
            <tbody>
              {identity
                .filter(([, v]) => v)
                .map(([k, v]) => (
                  <tr key={k} className="border-t border-border align-top">
                    <th scope="row" className="w-48 py-1 pr-3 text-left font-medium">
                      {k}
                    </th>
                    <td className="break-all py-1 font-mono text-xs">{v}</td>
                  </tr>
                ))}
            </tbody>
          </table>
          <div>
            <h3 className="mb-1 font-semibold">Roles the current mappings give</h3>
            <ul aria-label="Roles from the test" className="flex flex-wrap gap-1">
              {(result.roles ?? []).length ? (
                result.roles!.map((r) => (
                  <li key={r}>
                    <Badge>{r}</Badge>
                  </li>
                ))
              ) : (
                <li className="text-muted-foreground">none</li>
              )}
            </ul>
          </div>
          <div>
            <h3 className="mb-1 font-semibold">Provisioning checks</h3>
            <ul aria-label="Provisioning checks" className="grid gap-1">
              {(result.checks ?? []).map((c) => (
                <li key={c.name}>
                  <span aria-hidden className={c.ok ? 'text-emerald-700' : 'text-destructive'}>
                    {c.ok ? '✓' : '✗'}
                  </span>{' '}
                  <span className="font-medium">{c.name}</span>
                  <span className="sr-only">{c.ok ? ' (passes)' : ' (fails)'}</span>: {c.detail}
                </li>
              ))}
            </ul>
          </div>
          <div>
            <h3 className="mb-1 font-semibold">Attributes received</h3>
            {attributes.length === 0 ? (
              <p className="text-muted-foreground">The IdP sent no attributes.</p>
            ) : (
              <table aria-label="Attributes received" className="w-full">
                <tbody>
                  {attributes.map(([k, v]) => (
                    <tr key={k} className="border-t border-border align-top">
                      <th scope="row" className="w-48 break-all py-1 pr-3 text-left font-mono text-xs font-medium">
                        {k}
                      </th>
                      <td className="break-all py-1 text-xs">{v.join(', ')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
        </>
      )}
    </section>
  );
}
