import {
  verifyAwsRole,
  verifyDigitalOceanToken,
  verifyGcpWorkloadIdentity,
  verifyHetznerToken,
  type VerifyResult,
} from '@claw/providers';
import type { CloudEndpoints } from '../config.ts';
import type { CredentialSecret } from './credential-secret.ts';

/** Verifies a decrypted credential against its cloud; the result's reason is shown to the user as is. */
export function createCloudVerifier(clouds: CloudEndpoints) {
  return async function verify(secret: CredentialSecret, externalId: string | null): Promise<VerifyResult> {
    switch (secret.provider) {
      case 'digitalocean':
        return verifyDigitalOceanToken(
          { token: secret.kind === 'token' ? secret.token : secret.accessToken },
          { baseUrl: clouds.digitalOceanApiUrl },
        );
      case 'hetzner':
        return verifyHetznerToken({ token: secret.token }, { baseUrl: clouds.hetznerApiUrl });
      case 'aws':
        if (!externalId)
          return { ok: false, reason: 'This account has no ExternalId yet; open the AWS setup again.' };
        return verifyAwsRole(
          { roleArn: secret.roleArn, externalId },
          { region: clouds.aws.region, ...(clouds.aws.endpoint ? { endpoint: clouds.aws.endpoint } : {}) },
        );
      case 'gcp':
        return verifyGcpWorkloadIdentity(secret.workloadIdentity);
    }
  };
}

export type CloudVerifier = ReturnType<typeof createCloudVerifier>;
