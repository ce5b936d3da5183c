import { sentence } from '@/lib/utils';

/**
 * The form's own error line, left out when it only repeats the error already shown under one of
 * the form's fields (`shown`), so that each message appears once, where it happened.
 */
export function FormError({ error, shown = [] }: { error: string | null | undefined; shown?: (string | undefined)[] }) {
  if (!error || shown.some((m) => m && sentence(m) === sentence(error))) return null;
  return (
    <p role="alert" className="text-sm text-destructive">
      {sentence(error)}
    </p>
  );
}
