import { accentStyle, BrandMark } from '@/components/branding/brand-mark';
import { getBranding } from '@/lib/branding/branding';

/** Sign-in, set-up link and demo pages: the operator's branding above each. */
export default async function PublicLayout({ children }: { children: React.ReactNode }) {
  const brand = await getBranding();
  return (
    <main className="flex min-h-screen flex-col items-center justify-center gap-6 bg-muted/50 p-6" style={accentStyle(brand)}>
      <BrandMark brand={brand} />
      {children}
    </main>
  );
}
