import { z } from '@hono/zod-openapi';

/**
 * What a credential holds, by provider. It is serialised and encrypted whole (even the AWS role ARN and
 * the GCP configuration, which are not secrets), so the database has one opaque column for it.
 */
export type CredentialSecret =
  | { provider: 'digitalocean'; kind: 'token'; token: string }
  | { provider: 'digitalocean'; kind: 'oauth'; accessToken: string; refreshToken: string; expiresAt: string }
  | { provider: 'hetzner'; token: string }
  | { provider: 'aws'; roleArn: string }
  | { provider: 'gcp'; workloadIdentity: Record<string, string> };

const label = z.string().trim().min(1).max(100);
const token = z.string().trim().min(8).max(512);

/** The request body of POST /api/credentials: one shape per provider. */
export const NewCredential = z.discriminatedUnion('provider', [
  z.object({
    provider: z.literal('digitalocean'),
    label,
    token,
    passwordProtected: z.boolean().default(false),
    password: z.string().max(256).optional(),
  }),
  z.object({
    provider: z.literal('hetzner'),
    label,
    token,
    passwordProtected: z.boolean().default(false),
    password: z.string().max(256).optional(),
  }),
  z.object({
    provider: z.literal('aws'),
    label,
    roleArn: z.string().regex(/^arn:aws:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, 'an IAM role ARN'),
    passwordProtected: z.boolean().default(false),
    password: z.string().max(256).optional(),
  }),
  z.object({
    provider: z.literal('gcp'),
    label,
    // A service-account key is exactly the long-lived secret this option exists to avoid: refuse it, store nothing.
    workloadIdentity: z
      .record(z.string(), z.string().max(512))
      .refine((config) => !('private_key' in config) && config.type !== 'service_account', {
        message: 'a service-account key is not accepted; configure Workload Identity Federation instead',
      }),
    passwordProtected: z.boolean().default(false),
    password: z.string().max(256).optional(),
  }),
]);

export type NewCredentialInput = z.infer<typeof NewCredential>;

export function toSecret(input: NewCredentialInput): CredentialSecret {
  switch (input.provider) {
    case 'digitalocean':
      return { provider: 'digitalocean', kind: 'token', token: input.token };
    case 'hetzner':
      return { provider: 'hetzner', token: input.token };
    case 'aws':
      return { provider: 'aws', roleArn: input.roleArn };
    case 'gcp':
      return { provider: 'gcp', workloadIdentity: input.workloadIdentity };
  }
}

/** The last four characters shown in lists, so a user can tell tokens apart; none for configurations. */
export function lastFour(secret: CredentialSecret): string | null {
  if (secret.provider === 'gcp') return null;
  const value = 'token' in secret ? secret.token : 'roleArn' in secret ? secret.roleArn : secret.accessToken;
  return value.slice(-4);
}
