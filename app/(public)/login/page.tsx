import { redirect } from 'next/navigation';
import { CredentialsForm } from '@/components/auth/credentials-form';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { endUserWithoutConsole } from '@/lib/auth/guards';
import { operatorCount } from '@/lib/dal/operators';
import { signInAction } from '../actions';

export default async function LoginPage() {
  if ((await operatorCount()) === 0) redirect('/setup');
  // An end user sent here by a tenant console they may not open: say so, rather than only ask for an operator's password.
  const endUser = await endUserWithoutConsole();
  return (
    <Card className="w-full max-w-sm">
      {endUser && (
        <p role="status" className="m-6 mb-0 rounded-md border bg-muted p-3 text-sm">
          You are signed in as <strong>{endUser}</strong>, whose roles open no part of your organisation’s console: ask
          one of its admins for access. <a className="underline" href="/app">Back to your account</a>
        </p>
      )}
      <CardHeader>
        <CardTitle>
          <span className="text-xl">Operator sign-in</span>
        </CardTitle>
        <CardDescription>Sign in to manage tenants, connections and API keys.</CardDescription>
      </CardHeader>
      <CardContent>
        <CredentialsForm action={signInAction} submitLabel="Sign in" />
      </CardContent>
    </Card>
  );
}
