import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import type { ActionResult } from '@/lib/actions';
import type { Connection } from '@/lib/db/schema';
import { certificateStatus } from '@/lib/sso/saml/certificate-expiry';
import { metadataStatusOf } from '@/lib/sso/saml/metadata-refresh';
import { CertificateManager } from './certificate-manager';
import { CertificateWarning, expiryText } from './certificate-status';
import { MetadataRefreshPanel } from './metadata-diff';

/** The server actions of app/(tenant)/t/[slug]/connections/[connectionId]/lifecycle-actions.ts. */
export type LifecycleActions = {
  addCertificateAction: (slug: string, id: string, input: unknown) => Promise<ActionResult<unknown>>;
  removeCertificateAction: (slug: string, id: string, fingerprintSha256: string) => Promise<{ error?: string }>;
  refreshMetadataAction: (slug: string, id: string) => Promise<ActionResult<unknown>>;
  approveMetadataAction: (slug: string, id: string) => Promise<{ error?: string }>;
  rejectMetadataAction: (slug: string, id: string) => Promise<{ error?: string }>;
};

/**
 * A SAML connection's certificate lifecycle on its page: expiry warning, signing certificates
 * with rollover, and (for connections created from a metadata URL) the scheduled refresh with
 * its pending diff. Renders nothing for OIDC connections.
 */
export function ConnectionLifecycle({ slug, connection, actions }: { slug: string; connection: Connection; actions: LifecycleActions }) {
  if (connection.type !== 'saml') return null;
  const now = new Date();
  const rows = (connection.idp.certificates ?? []).map((c) => {
    const s = certificateStatus(c, now);
    return { fingerprintSha256: c.fingerprintSha256, subject: c.subject, notAfter: c.notAfter, text: expiryText(s), level: s.level };
  });
  return (
    <>
      <Card id="certificates">
        <CardHeader>
          <CardTitle>Signing certificates</CardTitle>
          <CardDescription>Responses must be signed by one of these. Warnings start 30 days before a certificate expires.</CardDescription>
        </CardHeader>
        <CardContent className="grid gap-4">
          <CertificateWarning idp={connection.idp} now={now} />
          <CertificateManager
            certificates={rows}
            add={actions.addCertificateAction.bind(null, slug, connection.id)}
            remove={actions.removeCertificateAction.bind(null, slug, connection.id)}
          />
        </CardContent>
      </Card>
      {connection.metadataUrl && (
        <Card id="metadata-refresh">
          <CardHeader>
            <CardTitle>Metadata refresh</CardTitle>
          </CardHeader>
          <CardContent>
            <MetadataRefreshPanel
              status={metadataStatusOf(connection)}
              refresh={actions.refreshMetadataAction.bind(null, slug, connection.id)}
              approve={actions.approveMetadataAction.bind(null, slug, connection.id)}
              reject={actions.rejectMetadataAction.bind(null, slug, connection.id)}
            />
          </CardContent>
        </Card>
      )}
    </>
  );
}
