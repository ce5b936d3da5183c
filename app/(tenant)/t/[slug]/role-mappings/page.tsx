import { PageHeader } from '@/components/layout/sidebar';
import { RoleMappingEditor } from '@/components/role-mappings/role-mapping-editor';
import { requireTenant } from '@/lib/auth/guards';
import { roleMappingOf } from '@/lib/dal/role-mappings';
import { recentSignIns } from '@/lib/provisioning/impact';
import { roleMappingImpactAction, saveAndApplyRoleMappingAction, saveRoleMappingAction, signInSampleAction } from './actions';

/** Formatted on the server only, so the browser renders the same text (no time-zone mismatch). */
const when = (iso: string | null) => (iso ? `${iso.slice(0, 16).replace('T', ' ')} UTC` : null);

export default async function RoleMappingsPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const { tenant } = await requireTenant(slug, 'role_mappings');
  const samples = await recentSignIns(tenant.id);
  return (
    <>
      <PageHeader
        title="Role mappings"
        description="Which of this organisation’s roles people get from the attributes their identity provider sends at sign-in."
      />
      <RoleMappingEditor
        roles={tenant.roles}
        saved={roleMappingOf(tenant)}
        samples={samples.map((s) => ({ userId: s.userId, email: s.email, lastLogin: when(s.lastLoginAt) }))}
        actions={{
          impact: roleMappingImpactAction.bind(null, slug),
          save: saveRoleMappingAction.bind(null, slug),
          saveAndApply: saveAndApplyRoleMappingAction.bind(null, slug),
          sample: signInSampleAction.bind(null, slug),
        }}
      />
    </>
  );
}
