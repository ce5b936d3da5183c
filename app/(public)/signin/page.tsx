import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Field } from '@/components/ui/field';
import { Input } from '@/components/ui/input';

/** End users: type your work email; /sso finds your organisation's identity provider. */
export default async function SignInPage({ searchParams }: { searchParams: Promise<{ email?: string | string[] }> }) {
  const { email } = await searchParams;
  const typed = typeof email === 'string' ? email.slice(0, 320) : undefined;
  return (
    <Card className="w-full max-w-sm">
      <CardHeader>
        <CardTitle>
          <span className="text-xl">Sign in with SSO</span>
        </CardTitle>
        <CardDescription>Enter your work email and we will send you to your organisation’s sign-in page.</CardDescription>
      </CardHeader>
      <CardContent>
        <form action="/sso" method="get" className="grid gap-4">
          <Field id="email" label="Work email">
            <Input name="email" type="email" required autoComplete="email" placeholder="you@company.com" defaultValue={typed} />
          </Field>
          <Button type="submit">Continue</Button>
        </form>
        <p className="mt-4 text-xs text-muted-foreground">
          Operators: <a className="underline" href="/login">sign in to the console</a>.
        </p>
      </CardContent>
    </Card>
  );
}
