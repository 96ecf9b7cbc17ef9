// The instance types we offer on AWS with ESTIMATED on-demand prices. AWS has no price in the EC2 API (the
// Price List API needs its own permission and endpoint), so this is a static table.
// Source: https://aws.amazon.com/ec2/pricing/on-demand/ — Linux/Unix, shared tenancy, USD per hour, values
// as published in 2024-2025, recorded here on 2026-11-29 WITHOUT re-checking (the build machines have no
// internet). Monthly = hourly × 730 h (AWS's own monthly convention). EBS storage and traffic are extra and
// not included. Always shown with `priceIsEstimate: true`; re-check before launch and on every change.
import type { Size } from '../provisioning.ts';

const HOURS_PER_MONTH = 730;
// The AMI's default root volume (Ubuntu: 8 GiB); billed separately as EBS.
const ROOT_VOLUME_GB = 8;

const TABLE = [
  {
    slug: 't3.small',
    vcpus: 2,
    memoryMb: 2048,
    hourly: { 'us-east-1': 0.0208, 'us-west-2': 0.0208, 'eu-west-1': 0.0228, 'eu-central-1': 0.024 },
  },
  {
    slug: 't3.medium',
    vcpus: 2,
    memoryMb: 4096,
    hourly: { 'us-east-1': 0.0416, 'us-west-2': 0.0416, 'eu-west-1': 0.0456, 'eu-central-1': 0.048 },
  },
  {
    slug: 't3.large',
    vcpus: 2,
    memoryMb: 8192,
    hourly: { 'us-east-1': 0.0832, 'us-west-2': 0.0832, 'eu-west-1': 0.0912, 'eu-central-1': 0.096 },
  },
] as const;

/** The regions the table prices, i.e. the regions we offer. */
export const PRICED_REGIONS: ReadonlySet<string> = new Set(TABLE.flatMap((t) => Object.keys(t.hourly)));

export function awsSizes(): Size[] {
  return TABLE.map((t) => {
    const hourly = Math.max(...Object.values(t.hourly));
    return {
      slug: t.slug,
      vcpus: t.vcpus,
      memoryMb: t.memoryMb,
      diskGb: ROOT_VOLUME_GB,
      priceHourly: hourly,
      priceMonthly: Math.round(hourly * HOURS_PER_MONTH * 100) / 100,
      currency: 'USD',
      priceIsEstimate: true,
      regions: Object.keys(t.hourly),
    };
  });
}
