// Verifies a Hetzner Cloud project token: a read (the token is accepted), then a write whose body the spec
// rejects, so nothing is created: a "Read" token gets 403 `forbidden`, a "Read & Write" token gets a
// validation error. Hetzner has no account endpoint: a token names no user or project, so `account` is empty.
import type { HttpDeps } from '../http.ts';
import type { Probe } from '../probes.ts';
import { runProbes } from '../probes.ts';
import type { VerifyResult } from '../verify-result.ts';
import { createHetznerClient } from './client.ts';
import type { HetznerOperationId } from './permissions.ts';
import { HETZNER_LABEL, HETZNER_TOKEN_PERMISSION, hetznerOperations } from './permissions.ts';

export type HetznerVerifyInput = { token: string };
export type HetznerVerifyDeps = HttpDeps & { baseUrl: string };

// A firewall needs a name (spec: create_firewall_request.required), so `{}` can never create one.
export const hetznerPermissionProbes: readonly Probe<HetznerOperationId>[] = [
  {
    id: 'servers.listByLabel',
    query: { label_selector: `${HETZNER_LABEL.key}=${HETZNER_LABEL.value}`, per_page: 1 },
  },
  { id: 'firewalls.create', json: {} },
];

export async function verifyHetznerToken(
  input: HetznerVerifyInput,
  deps: HetznerVerifyDeps,
): Promise<VerifyResult> {
  const token = input.token.trim();
  if (token === '' || /\s/.test(token)) {
    return { ok: false, reason: 'The Hetzner API token is empty or contains spaces or line breaks.' };
  }
  const client = createHetznerClient({ ...deps, token });
  const outcome = await runProbes(client.call, hetznerPermissionProbes);
  if (outcome.unauthenticated) {
    return {
      ok: false,
      reason:
        'Hetzner did not accept this API token (HTTP 401): it is mistyped or was deleted from the project.',
    };
  }
  const missing = outcome.forbidden.map((id) => (hetznerOperations[id].method === 'GET' ? 'read' : 'write'));
  if (missing.length > 0) {
    return {
      ok: false,
      reason: `This Hetzner API token is not allowed to ${missing.join(' or ')}. Create a token with the "${HETZNER_TOKEN_PERMISSION}" permission, ideally in a project used only by Claw Cloud.`,
      missing,
    };
  }
  return { ok: true, account: {} };
}
