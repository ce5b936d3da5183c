import { BrandingForm } from '@/components/branding/branding-form';
import { PageHeader } from '@/components/layout/sidebar';
import { Card, CardContent } from '@/components/ui/card';
import { requireOperator } from '@/lib/auth/guards';
import { brandingView } from '@/lib/branding/branding';
import { updateBrandingAction } from '../actions';

/** The operator's branding of the pages customers and their employees see. */
export default async function BrandingPage() {
  await requireOperator();
  const b = await brandingView();
  return (
    <>
      <PageHeader
        title="Branding"
        description={
          <>
            Your product’s name, logo and colour on the pages your customers and their employees see: sign-in and its errors, set-up links,
            the tenant console and the demo. Also <code>PATCH /api/v1/branding</code>.
          </>
        }
      />
      <Card className="max-w-2xl">
        <CardContent className="pt-6">
          <BrandingForm initial={{ productName: b.productName, accentColor: b.accentColor, logoUrl: b.logoUrl }} save={updateBrandingAction} />
        </CardContent>
      </Card>
    </>
  );
}
