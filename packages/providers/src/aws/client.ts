// AWS access without a stored secret: the platform's own identity assumes the customer's role with the
// connection's ExternalId and gets 15-minute credentials. Endpoints and the platform credentials are
// injected (tests point both STS and EC2 at a loopback moto).
import { EC2Client } from '@aws-sdk/client-ec2';
import type { AssumeRoleCommandOutput } from '@aws-sdk/client-sts';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { ProviderError } from '../provider-error.ts';
import { isExternalId } from './external-id.ts';

export type AwsCredentialIdentity = {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
};

export type AwsDeps = {
  region: string;
  /** Undefined = the AWS regional endpoints; tests pass moto's loopback URL. */
  endpoint?: string;
  /** The platform's identity that calls sts:AssumeRole; undefined = the SDK's default chain. */
  platformCredentials?: AwsCredentialIdentity;
  /** For unit tests of what we send; defaults to an STSClient built from the above. */
  sts?: { send(command: AssumeRoleCommand): Promise<AssumeRoleCommandOutput> };
};

export type AssumeRoleInput = {
  roleArn: string;
  externalId: string;
  /** Ends up in the role session name, so the customer's CloudTrail shows why we came. */
  purpose: 'verify' | 'provision';
  /** The Claw Cloud instance acted on, appended to the session name (≤ 64 characters with a UUID). */
  instanceId?: string;
};

export type CustomerSession = {
  credentials: AwsCredentialIdentity;
  /** The customer's account id, from the role ARN. */
  accountId: string;
  ec2: EC2Client;
};

// The shortest session STS allows (AssumeRole API reference: DurationSeconds 900..43200).
export const SESSION_SECONDS = 900;
const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/[\w+=,.@/-]{1,512}$/;

export function parseRoleArn(roleArn: string): { accountId: string } | undefined {
  const match = ROLE_ARN.exec(roleArn.trim());
  return match?.[1] ? { accountId: match[1] } : undefined;
}

function clientConfig(deps: AwsDeps, credentials?: AwsCredentialIdentity) {
  // maxAttempts 1: retries are the job's decision (ProviderError.retryable), not hidden in the SDK.
  return { region: deps.region, endpoint: deps.endpoint, credentials, maxAttempts: 1 };
}

/** Wraps an AWS SDK error; the SDK's messages name actions and ARNs, never credentials. */
export function awsError(operation: string, err: unknown): ProviderError {
  const e = err as {
    name?: string;
    message?: string;
    $retryable?: unknown;
    $metadata?: { httpStatusCode?: number };
  };
  const status = e.$metadata?.httpStatusCode;
  const throttled = /Throttl|RequestLimitExceeded/.test(e.name ?? '');
  return new ProviderError(`${e.name ?? 'Error'}: ${e.message ?? ''}`.slice(0, 300), {
    provider: 'aws',
    operation,
    status,
    code: e.name,
    retryable: Boolean(e.$retryable) || throttled || status === undefined || status >= 500,
    cause: err,
  });
}

/**
 * Assumes the customer's role. Throws ProviderError; `code` AccessDenied means the trust policy or the
 * ExternalId does not match.
 */
export async function assumeCustomerRole(input: AssumeRoleInput, deps: AwsDeps): Promise<CustomerSession> {
  const arn = parseRoleArn(input.roleArn);
  if (!arn) throw new Error('roleArn is not an IAM role ARN');
  // An ExternalId we did not generate (empty, typed by a user, shared) would defeat the confused-deputy check.
  if (!isExternalId(input.externalId)) throw new Error('externalId was not made by generateExternalId()');

  const sts = deps.sts ?? new STSClient(clientConfig(deps, deps.platformCredentials));
  let out: AssumeRoleCommandOutput;
  try {
    out = await sts.send(
      new AssumeRoleCommand({
        RoleArn: input.roleArn.trim(),
        ExternalId: input.externalId,
        RoleSessionName: ['claw-cloud', input.purpose, input.instanceId].filter(Boolean).join('-'),
        DurationSeconds: SESSION_SECONDS,
      }),
    );
  } catch (err) {
    throw awsError('sts:AssumeRole', err);
  }
  const c = out.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) {
    throw new ProviderError('AssumeRole returned no credentials', {
      provider: 'aws',
      operation: 'sts:AssumeRole',
      retryable: false,
    });
  }
  const credentials = {
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretAccessKey,
    sessionToken: c.SessionToken,
    expiration: c.Expiration,
  };
  return { credentials, accountId: arn.accountId, ec2: new EC2Client(clientConfig(deps, credentials)) };
}
