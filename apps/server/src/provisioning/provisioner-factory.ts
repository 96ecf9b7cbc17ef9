import { AppError } from '@claw/core';
import {
  createAwsProvisioner,
  createDigitalOceanProvisioner,
  createHetznerProvisioner,
  type Provisioner,
} from '@claw/providers';
import type { CloudEndpoints } from '../config.ts';
import type { CredentialSecret } from '../credentials/credential-secret.ts';

/** The provider client for a decrypted cloud connection (built per use; it holds the secret only in memory). */
export function provisionerFor(
  secret: CredentialSecret,
  context: { externalId: string | null; region: string },
  clouds: CloudEndpoints,
): Provisioner {
  switch (secret.provider) {
    case 'digitalocean':
      return createDigitalOceanProvisioner({
        token: secret.kind === 'token' ? secret.token : secret.accessToken,
        baseUrl: clouds.digitalOceanApiUrl,
      });
    case 'hetzner':
      return createHetznerProvisioner({ token: secret.token, baseUrl: clouds.hetznerApiUrl });
    case 'aws':
      if (!context.externalId)
        throw new AppError('credential.unavailable', 'This account has no AWS ExternalId.');
      return createAwsProvisioner(
        { roleArn: secret.roleArn, externalId: context.externalId },
        { region: context.region, ...(clouds.aws.endpoint ? { endpoint: clouds.aws.endpoint } : {}) },
      );
    case 'gcp':
      throw new AppError('credential.unavailable', 'Provisioning on GCP comes later.');
  }
}

/** The image each provider boots: Debian 12, which the bootstrap is boot-tested on. */
export function imageFor(provider: string, awsImageId: string | undefined): string {
  if (provider === 'digitalocean') return 'debian-12-x64';
  if (provider === 'hetzner') return 'debian-12';
  if (provider === 'aws' && awsImageId) return awsImageId;
  throw new AppError(
    'credential.unavailable',
    'No server image is configured for this provider (CLAW_AWS_IMAGE_ID).',
  );
}
