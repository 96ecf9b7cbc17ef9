// What the deploy wizard offers, kept apart from the components so the rules can be tested without a DOM.
import type { Credential, DeployOptions, Size } from '../api.ts';
import { formatPrice } from '../prices.ts';
import { perMonth } from '../prices.ts';

/** The clouds the server can deploy to (provisioning-service.ts, `provisionable`). */
export const deployProviders = ['digitalocean', 'aws', 'hetzner'] as const;
export type DeployProvider = (typeof deployProviders)[number];

/**
 * Connections that can deploy: verified, and not password-protected (the work runs in the background,
 * where nobody can type the password).
 */
export function usableConnections(credentials: readonly Credential[], provider: string): Credential[] {
  return credentials.filter(
    (c) => c.provider === provider && c.verification.status === 'verified' && !c.passwordProtected,
  );
}

/** Connections of this provider left out, to say why rather than let them vanish. */
export function unusableCount(credentials: readonly Credential[], provider: string): number {
  return (
    credentials.filter((c) => c.provider === provider).length -
    usableConnections(credentials, provider).length
  );
}

export function regionsOf(options: DeployOptions) {
  return options.regions.filter((region) => region.available);
}

/** Sizes offered in `region`, cheapest first. */
export function sizesIn(options: DeployOptions, region: string): Size[] {
  return options.sizes
    .filter((size) => size.regions.includes(region))
    .toSorted((a, b) => a.priceMonthly - b.priceMonthly);
}

export function describeSize(size: Size): string {
  const memory = size.memoryMb >= 1024 ? `${size.memoryMb / 1024} GB` : `${size.memoryMb} MB`;
  return `${size.vcpus} vCPU${size.vcpus === 1 ? '' : 's'} · ${memory} memory · ${size.diskGb} GB disk`;
}

export function monthlyPrice(size: Size): string {
  return perMonth(size.priceMonthly, size.currency);
}

export function hourlyPrice(size: Size): string {
  return `${formatPrice(size.priceHourly, size.currency, 4)} an hour`;
}
