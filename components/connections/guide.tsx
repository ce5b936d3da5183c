import { fill, type Guide, type SpValues } from '@/lib/sso/connections/guides';
import { CopyValue } from './copy-value';

/**
 * One IdP's set-up guide: the values to paste (with copy buttons, labelled as that IdP labels
 * its fields), the steps in its admin UI, the attributes to send, and where its metadata is.
 */
export function IdpGuide({ guide, values }: { guide: Guide; values: SpValues }) {
  return (
    <section aria-label={`${guide.name} set-up guide`} className="grid gap-4">
      <p className="text-sm text-muted-foreground">{guide.summary}</p>
      <div className="grid gap-3">
        <h3 className="text-sm font-semibold">Values to paste into {guide.name}</h3>
        {guide.fields.map((f) => (
          <CopyValue key={f.key} label={f.label} value={values[f.key]} />
        ))}
      </div>
      <div>
        <h3 className="mb-1 text-sm font-semibold">Steps</h3>
        <ol className="ml-5 list-decimal space-y-1 text-sm">
          {guide.steps.map((s) => (
            <li key={s}>{fill(s, values)}</li>
          ))}
        </ol>
      </div>
      <div>
        <h3 className="mb-1 text-sm font-semibold">Attributes the portal reads</h3>
        <table aria-label={`Attributes for ${guide.name}`} className="w-full text-sm">
          <thead>
            <tr className="text-left text-xs text-muted-foreground">
              <th className="py-1 pr-3 font-medium">{guide.protocol === 'oidc' ? 'Portal field' : 'Attribute name'}</th>
              <th className="py-1 font-medium">Value in {guide.name}</th>
            </tr>
          </thead>
          <tbody>
            {guide.attributes.map((a) => (
              <tr key={a.name} className="border-t border-border">
                <td className="py-1 pr-3 font-mono text-xs">{a.name}</td>
                <td className="py-1">{a.value}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {guide.protocol === 'saml' && (
          <p className="mt-1 text-xs text-muted-foreground">
            The email may instead be the NameID (emailAddress format). The standard claim URIs (…/claims/emailaddress, givenname,
            surname, …/claims/Group) are read too.
          </p>
        )}
      </div>
      <div>
        <h3 className="mb-1 text-sm font-semibold">{guide.protocol === 'oidc' ? 'Where to find the discovery URL' : 'Where to find the IdP metadata'}</h3>
        <p className="text-sm">
          <span className="font-medium">{guide.metadata.label}:</span> {guide.metadata.where}
        </p>
        {guide.metadata.example && <p className="mt-1 break-all font-mono text-xs text-muted-foreground">e.g. {guide.metadata.example}</p>}
      </div>
      {(guide.encryption || guide.singleLogout) && (
        <div>
          <h3 className="mb-1 text-sm font-semibold">Optional</h3>
          <ul className="ml-5 list-disc space-y-1 text-sm">
            {guide.encryption && (
              <li>
                <span className="font-medium">Encrypted assertions:</span> {fill(guide.encryption, values)} Then turn on “Require encrypted assertions” in this
                connection’s settings.
              </li>
            )}
            {guide.singleLogout && (
              <li>
                <span className="font-medium">Single logout:</span> {fill(guide.singleLogout, values)}
              </li>
            )}
          </ul>
        </div>
      )}
    </section>
  );
}
