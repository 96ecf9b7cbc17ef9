/** An instance's lifecycle (docs/provisioning.md); every transition is an audit event `instance.<status>`. */
export const instanceStatuses = [
  'requested',
  'creating',
  'booting',
  'registering',
  'ready',
  'failed',
  'stopping',
  'stopped',
  'starting',
  'rebooting',
  'destroying',
  'destroyed',
] as const;

export type InstanceStatus = (typeof instanceStatuses)[number];
