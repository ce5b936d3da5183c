import type { Metadata } from 'next';
import './globals.css';

export const metadata: Metadata = {
  title: 'SSO Portal',
  description: 'Enterprise SSO and provisioning admin portal',
  icons: { icon: { url: '/favicon.svg', type: 'image/svg+xml' } },
};
export const dynamic = 'force-dynamic';

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
