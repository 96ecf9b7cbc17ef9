// Every Hetzner Cloud API operation Claw Cloud calls. Hetzner API tokens are per project and have one of two
// permissions, "Read" or "Read & Write" (docs.hetzner.cloud, "Authentication"): there is nothing finer, so
// we ask for Read & Write and advise a project dedicated to Claw Cloud. permissions.spec.test.ts proves
// every path against the spec.
import type { Operation } from '../operations.ts';

export const hetznerOperations = {
  'servers.listByLabel': {
    method: 'GET',
    path: '/servers',
    purpose: 'find the servers we created (label_selector=managed-by=claw-cloud)',
  },
  'servers.create': { method: 'POST', path: '/servers', purpose: 'create the assistant server, labelled' },
  'servers.get': { method: 'GET', path: '/servers/{id}', purpose: 'follow a server we created' },
  'servers.delete': { method: 'DELETE', path: '/servers/{id}', purpose: 'destroy one of our servers, by id' },
  'servers.poweron': { method: 'POST', path: '/servers/{id}/actions/poweron', purpose: 'power on' },
  'servers.shutdown': {
    method: 'POST',
    path: '/servers/{id}/actions/shutdown',
    purpose: 'graceful power off',
  },
  'servers.reboot': { method: 'POST', path: '/servers/{id}/actions/reboot', purpose: 'reboot' },
  'actions.get': { method: 'GET', path: '/actions/{id}', purpose: 'follow an action until it completes' },
  'locations.list': { method: 'GET', path: '/locations', purpose: 'offer locations' },
  'serverTypes.list': { method: 'GET', path: '/server_types', purpose: 'offer server types with prices' },
  'firewalls.listByLabel': {
    method: 'GET',
    path: '/firewalls',
    purpose: "find our firewalls (label_selector): an instance's before creating it again, strays to clean",
  },
  'firewalls.create': {
    method: 'POST',
    path: '/firewalls',
    purpose: 'create the firewall of one server: inbound port 3000 from the control plane only',
  },
  'firewalls.delete': { method: 'DELETE', path: '/firewalls/{id}', purpose: 'remove that firewall' },
} as const satisfies Record<string, Operation>;

export type HetznerOperationId = keyof typeof hetznerOperations;

/** The label on every resource we create (Hetzner has labels, not tags). */
export const HETZNER_LABEL = { key: 'managed-by', value: 'claw-cloud' } as const;

/** The token permission to choose in the Hetzner Console (Security → API tokens). */
export const HETZNER_TOKEN_PERMISSION = 'Read & Write';
