import type { CloudProvider } from '../api.ts';

export const cloudProviders: CloudProvider[] = ['digitalocean', 'aws', 'hetzner', 'gcp'];

const names: Record<CloudProvider, string> = {
  digitalocean: 'DigitalOcean',
  aws: 'AWS',
  hetzner: 'Hetzner Cloud',
  gcp: 'Google Cloud',
};

export function providerName(provider: string): string {
  return names[provider as CloudProvider] ?? provider;
}

/** The Workload Identity Federation settings a GCP connection takes, as the server names them. */
export const gcpFields = [
  ['projectId', 'Project ID', 'my-project'],
  ['projectNumber', 'Project number', '123456789012'],
  ['poolId', 'Workload identity pool ID', 'claw-cloud'],
  ['providerId', 'Pool provider ID', 'claw-cloud-oidc'],
  ['serviceAccountEmail', 'Service account email', 'claw-cloud@my-project.iam.gserviceaccount.com'],
  [
    'audience',
    'Audience',
    '//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/claw-cloud/providers/claw-cloud-oidc',
  ],
] as const;

export const awsRoleArnPattern = /^arn:aws:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
