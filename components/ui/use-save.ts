'use client';
import { useRouter } from 'next/navigation';
import { useState, useTransition } from 'react';
import type { ActionResult } from '@/lib/actions';
import { useToast } from './toast';

/**
 * A form's save through a server action: on success the toast `done`, `onSaved` and a refresh of
 * the page's data; on failure the form's error and each field's, for `Field` and `FormError`.
 */
export function useSave(action: (input: unknown) => Promise<ActionResult<unknown>>, done: string) {
  const router = useRouter();
  const toast = useToast();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [pending, start] = useTransition();
  const save = (input: unknown, onSaved?: () => void) =>
    start(async () => {
      const r = await action(input);
      setErrors(r.ok ? {} : (r.fieldErrors ?? {}));
      setError(r.ok ? null : r.error);
      if (!r.ok) return;
      toast(done);
      onSaved?.();
      router.refresh();
    });
  return { errors, error, pending, save };
}
