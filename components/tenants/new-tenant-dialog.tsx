'use client';
import { useState } from 'react';
import type { ActionResult } from '@/lib/actions';
import { Button } from '@/components/ui/button';
import { Dialog, DialogContent, DialogDescription, DialogTitle, DialogTrigger } from '@/components/ui/dialog';
import { TenantForm } from './tenant-form';

export function NewTenantDialog({ action }: { action: (input: unknown) => Promise<ActionResult<unknown>> }) {
  const [open, setOpen] = useState(false);
  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>
        <Button>New tenant</Button>
      </DialogTrigger>
      <DialogContent>
        <DialogTitle>New tenant</DialogTitle>
        <DialogDescription>A tenant is one customer organisation with its own SSO connections and users.</DialogDescription>
        <TenantForm mode="create" action={action} onDone={() => setOpen(false)} />
      </DialogContent>
    </Dialog>
  );
}
