// Turns raw audit rows into words a person reads at a glance.
import type { AuditEvent } from './api.ts';

const eventLabels: Record<string, string> = {
  'auth.signup': 'Account created',
  'auth.login': 'Logged in',
  'auth.logout': 'Logged out',
  'auth.logout_all': 'Signed out everywhere',
  'account.password_changed': 'Password changed',
  'account.deleted': 'Account deleted',
  'auth.reauthenticated': 'Password confirmed',
  'credential.added': 'Cloud account connected',
  'credential.verified': 'Cloud account verified',
  'credential.deleted': 'Cloud account removed',
  'credential.used': 'Cloud account used by background work',
  'cloud.vm_adopted': "Your instance's server found in your cloud account",
  'cloud.vm_deleted': 'Leftover server deleted from your cloud account',
  'cloud.firewall_deleted': 'Leftover firewall deleted from your cloud account',
  'instance.adopted': 'Server adopted',
  'instance.removed': 'Instance removed',
  'proxy.connection': 'Chat connection',
  'support.granted': 'Support access granted',
  'support.revoked': 'Support access revoked',
  'support.expired': 'Support access ended by itself',
  'support.failed': 'Support access failed to open',
  'support.session_started': 'Support session started',
  'support.session_ended': 'Support session ended',
};

export function describeEvent({ event, outcome }: Pick<AuditEvent, 'event' | 'outcome'>): string {
  if (event === 'auth.login' && outcome === 'failed') return 'Failed log-in attempt';
  // Events added to the server before this page learns them still show, by their raw name.
  return eventLabels[event] ?? event;
}

const units: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
];

export function relativeTime(at: string, now: Date, locale?: string): string {
  const seconds = (new Date(at).getTime() - now.getTime()) / 1000;
  const format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return format.format(Math.round(seconds / size), unit);
  }
  return 'just now';
}

export function absoluteTime(at: string, locale?: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(at));
}
