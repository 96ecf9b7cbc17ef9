import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { VmSpec } from './provisioning.ts';
import { checkVmSpec } from './provisioning.ts';

const spec: VmSpec = {
  instanceId: '0b6a4c1e-5a8f-4d2b-9c3e-7f1a2b3c4d5e',
  name: 'claw-1',
  region: 'fra1',
  size: 's-1vcpu-1gb',
  image: 'ubuntu-24-04-x64',
  userData: '#cloud-config\n',
  allowedSources: ['198.51.100.7', '203.0.113.0/24', '2001:db8::1', '2001:db8:c1a0::/48'],
};

test('allowed sources become CIDRs, split by family', () => {
  assert.deepEqual(checkVmSpec(spec, 1024), {
    ipv4: ['198.51.100.7/32', '203.0.113.0/24'],
    ipv6: ['2001:db8::1/128', '2001:db8:c1a0::/48'],
  });
});

test('a spec that would open the agent port to everyone, or reach a provider malformed, is refused', () => {
  for (const allowedSources of [
    [],
    ['0.0.0.0/0'],
    ['::/0'],
    ['example.com'],
    ['10.0.0.1/33'],
    ['10.0.0.1/x'],
  ]) {
    assert.throws(() => checkVmSpec({ ...spec, allowedSources }, 1024), /allowedSources/);
  }
  assert.throws(() => checkVmSpec({ ...spec, instanceId: 'Claw 1' }, 1024), /UUID/);
  assert.throws(() => checkVmSpec({ ...spec, userData: 'x'.repeat(1025) }, 1024), /userData/);
});
