import type { WebhookKind, WebhookView } from '@/lib/webhooks/validation';

export const KIND_LABELS: Record<WebhookKind, string> = {
  audit_stream: 'SIEM audit stream',
  webhook: 'Change webhook',
};

export const utc = (iso: string | null) => (iso ? `${iso.replace('T', ' ').slice(0, 19)} UTC` : '—');

/** healthy · retrying · disabled, for a badge. */
export function healthOf(w: Pick<WebhookView, 'enabled' | 'health'>): { label: string; tone: 'good' | 'warn' | 'bad' | 'neutral' } {
  if (!w.enabled) return { label: 'disabled', tone: 'neutral' };
  if (w.health.failures > 0) return { label: `failing (${w.health.failures} attempt${w.health.failures === 1 ? '' : 's'})`, tone: w.health.failures >= 5 ? 'bad' : 'warn' };
  return { label: 'healthy', tone: 'good' };
}
