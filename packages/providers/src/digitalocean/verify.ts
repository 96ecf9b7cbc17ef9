// Verifies a DigitalOcean token and reveals missing custom scopes where the API allows: a token lacking the
// scope of an endpoint gets 403 (spec: "Custom scopes"). Read scopes are probed with reads, create/update
// scopes with requests whose body the spec itself rejects, so nothing is created. Delete scopes are never
// probed (we send no DELETE to check a token) and are reported as `unverified`.
import type { HttpDeps } from '../http.ts';
import type { Probe } from '../probes.ts';
import { runProbes } from '../probes.ts';
import type { VerifyResult } from '../verify-result.ts';
import { accountFromBody, createDigitalOceanClient } from './client.ts';
import type { DigitalOceanOperationId } from './permissions.ts';
import { DIGITALOCEAN_TAG, digitalOceanOperations, requiredDigitalOceanScopes } from './permissions.ts';

export type DigitalOceanVerifyInput = { token: string };
export type DigitalOceanVerifyDeps = HttpDeps & { baseUrl: string };

// `account.get` first: it is the identity call and the one that says whether the token is accepted at all.
// Invalid bodies: a Droplet needs name, size and image; an action needs a type; a firewall needs a name and
// rules; a tag name must match ^[a-zA-Z0-9_\-\:]+$ (so "" is refused). Droplet id 0 never exists.
export const digitalOceanScopeProbes: readonly Probe<DigitalOceanOperationId>[] = [
  { id: 'account.get' },
  { id: 'regions.list', query: { per_page: 1 } },
  { id: 'sizes.list', query: { per_page: 1 } },
  { id: 'droplets.listByTag', query: { tag_name: DIGITALOCEAN_TAG, per_page: 1 } },
  { id: 'firewalls.list', query: { per_page: 1 } },
  { id: 'droplets.create', json: {} },
  { id: 'droplets.action', params: { droplet_id: 0 }, json: {} },
  { id: 'firewalls.create', json: {} },
  { id: 'tags.create', json: { name: '' } },
];

const scopesOf = (ids: readonly DigitalOceanOperationId[]): Set<string> =>
  new Set(ids.flatMap((id) => digitalOceanOperations[id].scopes));

/**
 * A probe may need two scopes (`GET /v2/sizes` needs sizes:read and regions:read). Scopes proven by a granted
 * probe are present; a forbidden probe with one unproven scope names it exactly; a forbidden probe whose
 * unproven scopes include one already known missing says nothing about the others, so they are not blamed.
 */
export function missingScopes(
  granted: readonly DigitalOceanOperationId[],
  forbidden: readonly DigitalOceanOperationId[],
): string[] {
  const present = scopesOf(granted);
  const candidates = forbidden.map((id) => digitalOceanOperations[id].scopes.filter((s) => !present.has(s)));
  const certain = new Set(candidates.filter((c) => c.length === 1).flat());
  const missing = new Set(certain);
  for (const c of candidates) {
    if (!c.some((scope) => certain.has(scope))) c.forEach((scope) => missing.add(scope));
  }
  return [...missing].sort();
}

export async function verifyDigitalOceanToken(
  input: DigitalOceanVerifyInput,
  deps: DigitalOceanVerifyDeps,
): Promise<VerifyResult> {
  const token = input.token.trim();
  if (token === '' || /\s/.test(token)) {
    return { ok: false, reason: 'The DigitalOcean token is empty or contains spaces or line breaks.' };
  }
  const client = createDigitalOceanClient({ ...deps, token });
  const outcome = await runProbes(client.call, digitalOceanScopeProbes);
  if (outcome.unauthenticated) {
    return {
      ok: false,
      reason: 'DigitalOcean did not accept this token (HTTP 401): it is mistyped, expired or revoked.',
    };
  }

  const missing = missingScopes(outcome.granted, outcome.forbidden);
  if (missing.length > 0) {
    return {
      ok: false,
      reason:
        `This DigitalOcean token lacks ${missing.length === 1 ? 'a scope' : 'scopes'} Claw Cloud needs: ` +
        `${missing.join(', ')}. Create a token with exactly these custom scopes: ` +
        `${requiredDigitalOceanScopes().join(', ')}.`,
      missing,
    };
  }

  const probed = scopesOf(digitalOceanScopeProbes.map((p) => p.id));
  const unverified = requiredDigitalOceanScopes().filter((scope) => !probed.has(scope));
  return { ok: true, account: accountFromBody(outcome.bodies['account.get']), unverified };
}
