/** Why the audit-log filters in the URL cannot be used, instead of an unfiltered list. */
export function FilterErrors({ errors }: { errors: { path: string; message: string }[] }) {
  return (
    <div role="alert" className="rounded-lg border border-red-200 bg-red-50 p-4 text-sm text-red-800">
      <p className="font-medium">These filters cannot be used:</p>
      <ul className="mt-1 list-disc pl-5">
        {errors.map((e) => (
          <li key={e.path}>
            {e.path}: {e.message}
          </li>
        ))}
      </ul>
    </div>
  );
}
