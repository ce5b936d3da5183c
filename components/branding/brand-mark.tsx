import type { Branding } from '@/lib/branding/branding';

/** The operator's logo and product name, above the pages customers and their employees see. */
export function BrandMark({ brand }: { brand: Branding }) {
  return (
    <div className="flex items-center justify-center gap-2" data-testid="brand">
      {brand.logoUrl && (
        // eslint-disable-next-line @next/next/no-img-element -- a small logo from this origin, sized by CSS
        <img src={brand.logoUrl} alt="" className="h-8 w-auto max-w-40 object-contain" />
      )}
      <span className="text-lg font-semibold">{brand.productName}</span>
    </div>
  );
}

/** CSS variables that put the accent colour on buttons and links (Tailwind's `primary`). */
export const accentStyle = (brand: Branding): React.CSSProperties | undefined =>
  brand.accentColor
    ? ({ '--color-primary': brand.accentColor, '--color-primary-foreground': brand.accentForeground ?? '#ffffff' } as React.CSSProperties)
    : undefined;
