import type { DirectoryProvider } from '@/lib/validation/directories';

export const PROVIDER_LABELS: Record<DirectoryProvider, string> = {
  okta: 'Okta',
  entra: 'Microsoft Entra ID',
  onelogin: 'OneLogin',
  jumpcloud: 'JumpCloud',
  generic: 'Other SCIM 2.0 client',
};
