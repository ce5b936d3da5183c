import { redirect } from 'next/navigation';
import { CredentialsForm } from '@/components/auth/credentials-form';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { operatorCount } from '@/lib/dal/operators';
import { setupAction } from '../actions';

export default async function SetupPage() {
  if ((await operatorCount()) > 0) redirect('/login');
  return (
    <Card className="w-full max-w-sm">
      <CardHeader>
        <CardTitle>
          <span className="text-xl">Set up the portal</span>
        </CardTitle>
        <CardDescription>Create the first operator account. This page is available only once.</CardDescription>
      </CardHeader>
      <CardContent>
        <CredentialsForm action={setupAction} submitLabel="Create operator account" confirm />
      </CardContent>
    </Card>
  );
}
