import type { Provisioner } from '@claw/providers';

/**
 * A provisioner for tests that play one scene: the calls it scripts, and any other call fails the test
 * loudly instead of answering something plausible.
 */
export function scriptedProvisioner(script: Partial<Provisioner>): Provisioner {
  const unexpected = (name: string) => () => Promise.reject(new Error(`unexpected provider call: ${name}`));
  return {
    provider: 'digitalocean',
    create: unexpected('create'),
    get: unexpected('get'),
    findByInstance: unexpected('findByInstance'),
    powerOn: unexpected('powerOn'),
    powerOff: unexpected('powerOff'),
    reboot: unexpected('reboot'),
    destroy: unexpected('destroy'),
    listOurs: unexpected('listOurs'),
    destroyFirewalls: unexpected('destroyFirewalls'),
    listRegions: unexpected('listRegions'),
    listSizes: unexpected('listSizes'),
    ...script,
  };
}
