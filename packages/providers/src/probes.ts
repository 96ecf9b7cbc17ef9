// Permission probes: requests that need one permission each and cannot change anything, because they only
// read or because their body is invalid by the provider's own spec (tests prove that against the spec).
// DigitalOcean and Hetzner check the token's permission before validating the body, so the status tells:
// 401 = token not accepted, 403 = permission missing, anything else = permission present.
import type { OperationCaller, CallOptions } from './operations.ts';

export type Probe<K extends string> = { id: K } & Pick<CallOptions, 'params' | 'query' | 'json'>;

export type ProbeOutcome<K extends string> = {
  unauthenticated: boolean;
  granted: K[];
  forbidden: K[];
  /** The body of each granted probe (the identity call's answer, for instance). */
  bodies: Partial<Record<K, unknown>>;
};

// Statuses a probe reads itself; 429 and 5xx still throw a retryable ProviderError.
const PROBE_STATUSES = [400, 401, 403, 404, 409, 422] as const;

/** Runs the probes one after another (a handful of requests, gentle on rate limits). */
export async function runProbes<K extends string>(
  call: OperationCaller<K>,
  probes: readonly Probe<K>[],
): Promise<ProbeOutcome<K>> {
  const outcome: ProbeOutcome<K> = { unauthenticated: false, granted: [], forbidden: [], bodies: {} };
  for (const { id, ...options } of probes) {
    const { status, body } = await call(id, { ...options, accept: PROBE_STATUSES });
    if (status === 401) {
      outcome.unauthenticated = true;
      return outcome;
    }
    if (status === 403) {
      outcome.forbidden.push(id);
    } else {
      outcome.granted.push(id);
      outcome.bodies[id] = body;
    }
  }
  return outcome;
}
