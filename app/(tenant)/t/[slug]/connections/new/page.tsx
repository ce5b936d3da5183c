import Link from 'next/link';
import { GuidePicker } from '@/components/connections/guide-picker';
import { PageHeader } from '@/components/layout/sidebar';
import { requireTenant } from '@/lib/auth/guards';
import { actorOf } from '@/lib/auth/permissions';
import { redirectUriFor } from '@/lib/dal/connections';
import { isProviderId, spValuesFrom } from '@/lib/sso/connections/guides';
import { sp } from '@/lib/sso/sp';
import { previewMetadataAction } from '../../actions';
import { createDraftConnectionAction } from '../actions';

export default async function NewConnectionPage({
  params,
  searchParams,
}: {
  params: Promise<{ slug: string }>;
  searchParams: Promise<{ provider?: string }>;
}) {
  const { slug } = await params;
  const { provider } = await searchParams;
  const { tenant, principal } = await requireTenant(slug, 'sso');
  return (
    <>
      <PageHeader
        title="New connection"
        description="Pick your identity provider, set it up with the values below, then test the connection before you activate it."
        actions={
          <Link href={`/t/${slug}/connections`} className="text-sm underline">
            Back to connections
          </Link>
        }
      />
      <div className="max-w-4xl">
        <GuidePicker
          slug={slug}
          values={spValuesFrom({ ...sp(), oidcRedirectUrl: redirectUriFor({ actor: actorOf(principal) }, tenant.id) })}
          initial={isProviderId(provider) ? provider : 'okta'}
          preview={previewMetadataAction.bind(null, slug)}
          create={createDraftConnectionAction.bind(null, slug)}
        />
      </div>
    </>
  );
}
