import type { Metadata } from 'next';
import { Toaster } from '@/components/ui/toast';
import { getBranding } from '@/lib/branding/branding';
import './globals.css';

/** The operator's product name in every page's title. */
export async function generateMetadata(): Promise<Metadata> {
  const brand = await getBranding().catch(() => null);
  return {
    title: brand?.productName ?? 'SSO Portal',
    description: 'Enterprise SSO and provisioning admin portal',
    icons: { icon: { url: '/favicon.svg', type: 'image/svg+xml' } },
  };
}
export const dynamic = 'force-dynamic';

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body>
        <Toaster>{children}</Toaster>
      </body>
    </html>
  );
}
