import Link from 'next/link';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import type { RoleMapping } from '@/lib/validation/role-mappings';

/** The tenant overview's Role mappings section: a summary and a link to the editor. */
export function RoleMappingsOverviewCard({ base, mapping, className }: { base: string; mapping: RoleMapping; className?: string }) {
  const n = mapping.rules.length;
  const fallback = mapping.defaultRole ? `the default role ${mapping.defaultRole}` : 'no role';
  return (
    <Card id="role-mappings" className={className}>
      <CardHeader>
        <CardTitle>Role mappings</CardTitle>
      </CardHeader>
      <CardContent className="grid gap-2 text-sm">
        <p className={n ? undefined : 'text-muted-foreground'}>
          {n
            ? `${n} ${n === 1 ? 'rule gives' : 'rules give'} roles from your identity provider’s attributes; anyone no rule matches gets ${fallback}.`
            : `No role mapping rules yet. Everyone gets ${fallback}.`}
        </p>
        <Link href={`${base}/role-mappings`} className="w-fit font-medium underline underline-offset-4 hover:text-muted-foreground">
          {n ? 'Edit role mappings' : 'Set up role mappings'}
        </Link>
      </CardContent>
    </Card>
  );
}
