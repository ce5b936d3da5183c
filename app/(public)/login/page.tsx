import { redirect } from 'next/navigation';
import { CredentialsForm } from '@/components/auth/credentials-form';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { operatorCount } from '@/lib/dal/operators';
import { signInAction } from '../actions';

export default async function LoginPage() {
  if ((await operatorCount()) === 0) redirect('/setup');
  return (
    <Card className="w-full max-w-sm">
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
