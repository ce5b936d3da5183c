import { CopyValue } from '@/components/connections/copy-value';
import type { DirectoryProvider } from '@/lib/validation/directories';

type Step = { text: React.ReactNode; values?: { label: string; value: string }[] };

const TOKEN_NOTE = 'the bearer token shown when you created this directory or last rotated its token';

function stepsFor(provider: DirectoryProvider, scimUrl: string): Step[] {
  switch (provider) {
    case 'okta':
      return [
        { text: 'In the Okta Admin Console, open Applications → your application → General, and under App Settings set Provisioning to SCIM. Save.' },
        {
          text: 'Open the Provisioning tab → Integration → Edit and enter:',
          values: [
            { label: 'SCIM connector base URL', value: scimUrl },
            { label: 'Unique identifier field for users', value: 'userName' },
          ],
        },
        { text: 'Supported provisioning actions: tick Push New Users, Push Profile Updates and Push Groups.' },
        { text: `Authentication Mode: HTTP Header. Authorization: paste ${TOKEN_NOTE} (without “Bearer ”).` },
        { text: 'Click Test Connector Configuration, then Save.' },
        { text: 'Provisioning → To App → Edit: enable Create Users, Update User Attributes and Deactivate Users. Save.' },
        { text: 'Assign people or groups on the Assignments tab; push groups on the Push Groups tab so that roles can follow group membership.' },
      ];
    case 'entra':
      return [
        { text: 'In the Microsoft Entra admin center, open Enterprise applications → your application → Provisioning, and choose Get started (or New configuration).' },
        { text: 'Provisioning Mode: Automatic. Under Admin Credentials enter:', values: [{ label: 'Tenant URL', value: scimUrl }] },
        { text: `Secret Token: paste ${TOKEN_NOTE}. Click Test Connection — it must report success.` },
        {
          text: 'Under Mappings, keep userPrincipalName → userName and mail → emails[type eq "work"].value (the work email is the portal account’s email). Other attributes are optional.',
          values: [{ label: 'Email attribute target', value: 'emails[type eq "work"].value' }],
        },
        { text: 'Set Provisioning Status to On and save. Entra ID syncs every 40 minutes; use Provision on demand to test one user.' },
      ];
    case 'onelogin':
      return [
        { text: 'In OneLogin Administration, open Applications → your application (or add “SCIM Provisioner with SAML (SCIM v2 Enterprise)”).' },
        { text: 'On the Configuration tab enter:', values: [{ label: 'SCIM Base URL', value: scimUrl }] },
        { text: `SCIM Bearer Token: paste ${TOKEN_NOTE}. Click Enable under API Status.` },
        { text: 'On the Provisioning tab tick Enable provisioning, and choose what happens when users are deleted or suspended (Suspend is recommended). Save.' },
        { text: 'On the Parameters tab, map Groups to send group membership (roles follow group membership).' },
      ];
    case 'jumpcloud':
      return [
        { text: 'In the JumpCloud Admin Portal, open SSO Applications → your application → Identity Management.' },
        { text: 'Choose SCIM 2.0 and enter:', values: [{ label: 'Base URL', value: scimUrl }] },
        { text: `Token Key: paste ${TOKEN_NOTE}. Enter a test user email of your domain and click Test Connection, then Activate.` },
        { text: 'Enable Group Management to push user groups; bind user groups to the application.' },
      ];
    default:
      return [
        {
          text: 'Point your SCIM 2.0 client (RFC 7643/7644) at the base URL; it calls /Users and /Groups under it.',
          values: [
            { label: 'SCIM base URL', value: scimUrl },
            { label: 'Users endpoint', value: `${scimUrl}/Users` },
            { label: 'Groups endpoint', value: `${scimUrl}/Groups` },
          ],
        },
        { text: `Authenticate every request with the header Authorization: Bearer <token>, using ${TOKEN_NOTE}.`, values: [{ label: 'Header name', value: 'Authorization' }] },
        { text: 'Supported: PATCH, filters (userName, externalId, emails, displayName, members…), paging with startIndex/count. Not supported: bulk, sorting, ETags. Details are at /ServiceProviderConfig.' },
      ];
  }
}

/** Provider-specific set-up steps with the exact values to paste, each with a copy button. */
export function SetupSteps({ provider, scimUrl }: { provider: DirectoryProvider; scimUrl: string }) {
  return (
    <ol className="grid list-decimal gap-3 pl-5 text-sm" aria-label="Set-up steps">
      {stepsFor(provider, scimUrl).map((s, i) => (
        <li key={i} className="grid gap-2">
          <span>{s.text}</span>
          {s.values?.map((v) => (
            <CopyValue key={v.label} label={v.label} value={v.value} />
          ))}
        </li>
      ))}
    </ol>
  );
}
