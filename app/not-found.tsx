import Link from 'next/link';
import { Card, CardContent, CardDescription, CardHeader } from '@/components/ui/card';

/** Any unknown page, and pages a visitor may not open (answered as not found, without saying which). */
export default function NotFound() {
  return (
    <main className="flex min-h-screen items-center justify-center bg-muted/40 p-4">
      <Card className="w-full max-w-md">
        <CardHeader>
          <h1 className="text-xl font-semibold">Page not found</h1>
          <CardDescription>This page does not exist, or your session does not open it.</CardDescription>
        </CardHeader>
        <CardContent className="flex flex-wrap gap-3 text-sm">
          <Link href="/" className="underline">
            Home
          </Link>
          <Link href="/signin" className="underline">
            Sign in with SSO
          </Link>
        </CardContent>
      </Card>
    </main>
  );
}
