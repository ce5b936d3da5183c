import { z } from 'zod';

/** A logo as a data URL: PNG, JPEG or WebP (never SVG, which can carry script), at most 256 KiB. */
export const MAX_LOGO_BYTES = 256 * 1024;
export const LOGO_TYPES = ['image/png', 'image/jpeg', 'image/webp'] as const;
export type LogoType = (typeof LOGO_TYPES)[number];

/** The image's own first bytes, whatever the data URL claims. */
function sniff(b: Buffer): LogoType | null {
  if (b.length > 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b.length > 12 && b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp';
  return null;
}

const logoSchema = z
  .string()
  .max(Math.ceil((MAX_LOGO_BYTES * 4) / 3) + 64, 'must be at most 256 KiB')
  .transform((v, ctx) => {
    const m = /^data:(image\/(?:png|jpeg|webp));base64,([A-Za-z0-9+/]+={0,2})$/.exec(v);
    if (!m) {
      ctx.addIssue({ code: 'custom', message: 'must be a data URL of a PNG, JPEG or WebP image (data:image/png;base64,…)' });
      return z.NEVER;
    }
    const bytes = Buffer.from(m[2], 'base64');
    if (bytes.length > MAX_LOGO_BYTES) {
      ctx.addIssue({ code: 'custom', message: 'must be at most 256 KiB' });
      return z.NEVER;
    }
    const type = sniff(bytes);
    if (type !== m[1]) {
      ctx.addIssue({ code: 'custom', message: `is not a ${m[1].slice(6).toUpperCase()} image` });
      return z.NEVER;
    }
    return { type: type as LogoType, base64: bytes.toString('base64') };
  });

export const brandingPatchSchema = z.strictObject(
  {
    productName: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(60, 'must be at most 60 characters')
      .regex(/^[^\u0000-\u001f\u007f<>]*$/, 'must not contain control characters or < >')
      .nullable()
      .optional(),
    accentColor: z
      .string()
      .regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour as #rrggbb')
      .transform((v) => v.toLowerCase())
      .nullable()
      .optional(),
    logo: logoSchema.nullable().optional(),
  },
  { error: (i) => (i.code === 'unrecognized_keys' ? `unknown field(s): ${i.keys.join(', ')}` : 'must be an object') },
);
export type BrandingPatch = z.infer<typeof brandingPatchSchema>;

export const brandingSchema = z.object({
  productName: z.string().nullable(),
  accentColor: z.string().nullable(),
  logoUrl: z.string().nullable().describe('Where the logo is served (/branding/logo?v=…), or null'),
  updatedAt: z.string().nullable(),
});
export type BrandingView = z.infer<typeof brandingSchema>;
