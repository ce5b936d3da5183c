import { pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * How the pages customers and their employees see are branded (one row, id `default`): the
 * operator's product name, logo (PNG, JPEG or WebP, checked; served from /branding/logo) and accent
 * colour. Null fields fall back to the portal's own.
 */
export const branding = pgTable('branding', {
  id: text('id').primaryKey(),
  productName: text('product_name'),
  accentColor: text('accent_color'),
  /** The logo image, base64. */
  logo: text('logo'),
  logoType: text('logo_type', { enum: ['image/png', 'image/jpeg', 'image/webp'] }),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

export type BrandingRow = typeof branding.$inferSelect;
