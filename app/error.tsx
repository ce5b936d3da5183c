'use client';

import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader } from '@/components/ui/card';

/**
 * What any page shows when it fails on the server (most often: the database is briefly
 * unreachable) instead of Next.js's bare error page. The digest ties it to the server's log.
 */
export default function PageError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <main className="flex min-h-screen items-center justify-center bg-muted/40 p-4">
      <Card className="w-full max-w-md">
        <CardHeader>
          <h1 className="text-xl font-semibold">This page could not be shown</h1>
          <CardDescription>
            The portal may be unable to reach its database for a moment. Nothing you saved before is lost; try again in a few seconds.
          </CardDescription>
        </CardHeader>
        <CardContent className="grid gap-3 text-sm">
          <div>
            <Button type="button" onClick={() => reset()}>
              Try again
            </Button>
          </div>
          {error.digest ? <p className="text-xs text-muted-foreground">Reference for support: {error.digest}</p> : null}
        </CardContent>
      </Card>
    </main>
  );
}
