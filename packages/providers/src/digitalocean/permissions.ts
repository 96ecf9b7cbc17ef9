// Every DigitalOcean API operation Claw Cloud calls, and the token scopes that follow from them. The scope of
// each operation is the spec's `security: bearer_auth: [...]` (digitalocean/openapi, "Custom scopes"); some
// parameters and fields need one more, stated in their description ("Requires `tag:read` scope").
// permissions.spec.test.ts proves this table against the official spec, so the list cannot drift.
import type { Operation } from '../operations.ts';

type DigitalOceanOperation = Operation & {
  /** Token scopes this operation requires, copied from the spec (and checked against it by a test). */
  scopes: readonly string[];
  /**
   * Scopes the spec requires for a parameter we send or a field we rely on (Droplet and firewall `tags`, the
   * `tag_name` filter): tags are how we tell ours from the user's, so a token that cannot read them is useless.
   */
  fieldScopes?: readonly string[];
};

export const digitalOceanOperations = {
  'account.get': {
    method: 'GET',
    path: '/v2/account',
    scopes: ['account:read'],
    purpose: 'check the token and show whose account it is',
  },
  'regions.list': {
    method: 'GET',
    path: '/v2/regions',
    scopes: ['regions:read'],
    purpose: 'offer the regions where a Droplet can run',
  },
  'sizes.list': {
    method: 'GET',
    path: '/v2/sizes',
    scopes: ['sizes:read', 'regions:read'],
    purpose: 'offer sizes with their prices',
  },
  'droplets.create': {
    method: 'POST',
    path: '/v2/droplets',
    scopes: ['droplet:create'],
    fieldScopes: ['tag:create'],
    purpose: 'create the assistant Droplet, tagged claw-cloud',
  },
  'droplets.get': {
    method: 'GET',
    path: '/v2/droplets/{droplet_id}',
    scopes: ['droplet:read'],
    fieldScopes: ['tag:read'],
    purpose: 'follow a Droplet we created until it is active',
  },
  'droplets.listByTag': {
    method: 'GET',
    path: '/v2/droplets',
    scopes: ['droplet:read'],
    fieldScopes: ['tag:read'],
    purpose: 'find the Droplets we created (tag_name=claw-cloud)',
  },
  'droplets.delete': {
    method: 'DELETE',
    path: '/v2/droplets/{droplet_id}',
    scopes: ['droplet:delete'],
    purpose: 'destroy one Droplet we created, by id (never by tag)',
  },
  'droplets.action': {
    method: 'POST',
    path: '/v2/droplets/{droplet_id}/actions',
    scopes: ['droplet:update'],
    purpose: 'power on, power off or reboot one of our Droplets',
  },
  'droplets.getAction': {
    method: 'GET',
    path: '/v2/droplets/{droplet_id}/actions/{action_id}',
    scopes: ['droplet:read'],
    purpose: 'follow a power action until it completes',
  },
  'firewalls.create': {
    method: 'POST',
    path: '/v2/firewalls',
    scopes: ['firewall:create'],
    fieldScopes: ['tag:create', 'tag:read'],
    purpose: 'create the cloud firewall of one Droplet (inbound: port 3000 from the control plane only)',
  },
  'firewalls.list': {
    method: 'GET',
    path: '/v2/firewalls',
    scopes: ['firewall:read'],
    fieldScopes: ['tag:read'],
    purpose: 'find the firewalls we created, so none outlives its Droplet or a Droplet that never came',
  },
  'firewalls.delete': {
    method: 'DELETE',
    path: '/v2/firewalls/{firewall_id}',
    scopes: ['firewall:delete'],
    purpose: 'remove one firewall we created, by id, when its Droplet is destroyed or never came',
  },
  'tags.create': {
    method: 'POST',
    path: '/v2/tags',
    scopes: ['tag:create'],
    purpose: 'create the per-instance tag its firewall is applied to',
  },
} as const satisfies Record<string, DigitalOceanOperation>;

export type DigitalOceanOperationId = keyof typeof digitalOceanOperations;

/** The tag on every resource we create; we act only on resources carrying it, and never delete by tag. */
export const DIGITALOCEAN_TAG = 'claw-cloud';

/** The exact custom scopes a DigitalOcean token needs, sorted: the union over `digitalOceanOperations`. */
export function requiredDigitalOceanScopes(): string[] {
  const scopes = new Set<string>();
  for (const op of Object.values<DigitalOceanOperation>(digitalOceanOperations)) {
    for (const scope of [...op.scopes, ...(op.fieldScopes ?? [])]) scopes.add(scope);
  }
  return [...scopes].sort();
}
