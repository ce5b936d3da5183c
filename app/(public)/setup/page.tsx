import { redirect } from 'next/navigation';
import { CredentialsForm } from '@/components/auth/credentials-form';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { operatorCount } from '@/lib/dal/operators';
import { setupAction } from '../actions';

export default async function SetupPage({ searchParams }: { searchParams: Promise<{ token?: string | string[] }> }) {
  if ((await operatorCount()) > 0) redirect('/login');
  const { token } = await searchParams;
  return (
    <Card className="w-full max-w-sm">
      <CardHeader>
        <CardTitle>
          <span className="text-xl">Set up the portal</span>
        </CardTitle>
        <CardDescription>
          Create the first operator account. This page is available only once, with the setup token printed when the portal
          started.
        </CardDescription>
      </CardHeader>
      <CardContent>
        <CredentialsForm action={setupAction} submitLabel="Create operator account" confirm setupToken={typeof token === 'string' ? token.slice(0, 200) : undefined} />
      </CardContent>
    </Card>
  );
}
