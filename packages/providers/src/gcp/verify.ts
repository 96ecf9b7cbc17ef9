// GCP connects through Workload Identity Federation only (Google Cloud IAM docs, "Workload Identity
// Federation"): Claw Cloud proves its own identity to the user's pool and impersonates a service account the
// user chose. No service-account key is ever accepted. Provisioning comes later; today we validate the shape.
import type { VerifyResult } from '../verify-result.ts';

export type GcpWorkloadIdentityConfig = {
  projectId: string;
  projectNumber: string;
  poolId: string;
  providerId: string;
  serviceAccountEmail: string;
  /** //iam.googleapis.com/projects/<number>/locations/global/workloadIdentityPools/<pool>/providers/<provider> */
  audience: string;
};

// Resource name rules from the IAM and Resource Manager references: project ids 6-30 characters; pool and
// provider ids 4-32, lowercase letters, digits and dashes, and the "gcp-" prefix is reserved.
const PROJECT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const PROJECT_NUMBER = /^\d{6,20}$/;
const POOL_OR_PROVIDER_ID = /^(?!gcp-)[a-z0-9][a-z0-9-]{2,30}[a-z0-9]$/;
const SERVICE_ACCOUNT =
  /^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z][a-z0-9-]{4,28}[a-z0-9]\.iam\.gserviceaccount\.com$/;

const FIELDS = [
  'projectId',
  'projectNumber',
  'poolId',
  'providerId',
  'serviceAccountEmail',
  'audience',
] as const;

function looksLikeServiceAccountKey(input: unknown): boolean {
  let value = input;
  if (typeof value === 'string') {
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(value)) return true;
    try {
      value = JSON.parse(value);
    } catch {
      return false;
    }
  }
  const v = value as Record<string, unknown> | null;
  return typeof v === 'object' && v !== null && (v.type === 'service_account' || 'private_key' in v);
}

export function expectedAudience(
  c: Pick<GcpWorkloadIdentityConfig, 'projectNumber' | 'poolId' | 'providerId'>,
): string {
  return `//iam.googleapis.com/projects/${c.projectNumber}/locations/global/workloadIdentityPools/${c.poolId}/providers/${c.providerId}`;
}

/**
 * Validates a Workload Identity Federation configuration. `input` is whatever the user pasted (an object or a
 * JSON string); a service-account key is refused outright and nothing of it is echoed back.
 */
export function verifyGcpWorkloadIdentity(input: unknown): VerifyResult {
  if (looksLikeServiceAccountKey(input)) {
    return {
      ok: false,
      reason:
        'This is a service-account key. Claw Cloud never accepts long-lived keys: delete this key in the Google ' +
        'Cloud console and set up Workload Identity Federation instead (our guide lists the exact commands).',
    };
  }
  let config: Partial<Record<(typeof FIELDS)[number], unknown>>;
  try {
    config = typeof input === 'string' ? JSON.parse(input) : (input as typeof config);
  } catch {
    return { ok: false, reason: 'The GCP configuration is not valid JSON.' };
  }
  if (typeof config !== 'object' || config === null) {
    return { ok: false, reason: 'The GCP configuration must be an object.' };
  }
  const missing = FIELDS.filter((f) => typeof config[f] !== 'string' || config[f] === '');
  if (missing.length > 0) {
    return { ok: false, reason: `The GCP configuration lacks ${missing.join(', ')}.`, missing: [...missing] };
  }
  const c = config as GcpWorkloadIdentityConfig;
  const problems: string[] = [];
  if (!PROJECT_ID.test(c.projectId)) problems.push('projectId is not a GCP project id');
  if (!PROJECT_NUMBER.test(c.projectNumber))
    problems.push('projectNumber must be the numeric project number');
  if (!POOL_OR_PROVIDER_ID.test(c.poolId)) problems.push('poolId is not a workload identity pool id');
  if (!POOL_OR_PROVIDER_ID.test(c.providerId))
    problems.push('providerId is not a workload identity provider id');
  if (!SERVICE_ACCOUNT.test(c.serviceAccountEmail))
    problems.push('serviceAccountEmail is not a service account');
  if (problems.length === 0 && c.audience !== expectedAudience(c)) {
    problems.push('audience does not match projectNumber, poolId and providerId');
  }
  if (problems.length > 0)
    return { ok: false, reason: `The GCP configuration is invalid: ${problems.join('; ')}.` };
  return {
    ok: true,
    account: { id: c.projectId, name: c.serviceAccountEmail },
    unverified: ['workload-identity'],
  };
}
