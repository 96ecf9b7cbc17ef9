// The provisioner contract against our stateful DigitalOcean fake behind `prism proxy --errors` with the
// official spec: every request we send and every answer the fake gives is checked against that spec.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { DigitalOceanFake } from '../../../testing/src/cloud-peers/index.ts';
import {
  deletesBySelector,
  locatePrism,
  locateSpec,
  skipUnlessAvailable,
  startDigitalOceanFake,
} from '../../../testing/src/cloud-peers/index.ts';
import { isProviderError } from '../provider-error.ts';
import { provisionerContract } from '../provisioner.contract.ts';
import { instanceTag } from '../provisioning.ts';
import { createDigitalOceanProvisioner } from './provisioner.ts';

const specFile = locateSpec('digitalocean');
const TOKEN = 'dop_v1_provisioner_contract_0123456789abcdef0123456789abcdef0123456789abcdef01234';

const skip = skipUnlessAvailable(specFile, locatePrism());
const startFake = () => startDigitalOceanFake({ spec: specFile.ok ? specFile.path : '' });

/**
 * Firewalls a user made that a careless match would take for the instance's: named like ours with no tag,
 * applied to our tag under another name, and named like ours but shared with the user's own Droplets.
 */
function plantForeignFirewalls(fake: DigitalOceanFake, instanceId: string): string[] {
  const tag = instanceTag(instanceId);
  return [
    fake.addFirewall({ name: tag }),
    fake.addFirewall({ name: 'users-own', tags: [tag] }),
    fake.addFirewall({ name: tag, tags: [tag, 'web'] }),
  ];
}

provisionerContract('DigitalOcean (stateful fake behind Prism)', {
  faults: true,
  strayFirewalls: true,
  skip,
  async start() {
    const fake: DigitalOceanFake = await startFake();
    const foreign = new Set<string>();
    return {
      provisioner: createDigitalOceanProvisioner({ token: TOKEN, baseUrl: fake.url }),
      spec: (instanceId) => ({
        instanceId,
        name: `claw-${instanceId.slice(0, 8)}`,
        region: 'fra1',
        size: 's-1vcpu-1gb',
        image: 'ubuntu-24-04-x64',
        userData: '#cloud-config\n{}\n',
        allowedSources: [],
      }),
      // The firewalls DigitalOcean applies to this Droplet: by its id or by one of its tags.
      async inboundRules(vm) {
        const droplet = fake.droplets.get(Number(vm.providerId));
        return [...fake.firewalls.values()]
          .filter(
            (f) => f.dropletIds.includes(droplet?.id ?? -1) || f.tags.some((t) => droplet?.tags.includes(t)),
          )
          .flatMap((f) => f.inbound)
          .map((r) => ({ protocol: r.protocol, ports: r.ports, sources: r.sources?.addresses ?? [] }));
      },
      async leftovers(instanceId) {
        const tag = instanceTag(instanceId);
        return [
          ...[...fake.droplets.values()].filter((d) => d.tags.includes(tag)).map((d) => `droplet ${d.id}`),
          ...[...fake.firewalls.values()]
            .filter((f) => f.tags.includes(tag) && !foreign.has(f.id))
            .map((f) => `firewall ${f.id}`),
        ];
      },
      deletesBySelector: async () => deletesBySelector(fake.requests()),
      async createForeignVm() {
        // A user's own Droplet, even one carrying our generic tag, is not ours without the instance tag.
        const instanceId = crypto.randomUUID();
        const id = fake.addDroplet({ name: 'users-own', tags: ['claw-cloud', 'web'] });
        return { instanceId, providerId: String(id), region: 'nyc3' };
      },
      async createMalformedVm() {
        const id = fake.addDroplet({ name: 'hand-made', tags: ['claw-cloud', 'claw-instance-not-a-uuid'] });
        return { instanceId: crypto.randomUUID(), providerId: String(id), region: 'nyc3' };
      },
      strayFirewalls: {
        failNextVmCreate: () => fake.inject('POST /v2/droplets', { kind: 'status', status: 503 }),
        async plantForeign(instanceId) {
          const ids = plantForeignFirewalls(fake, instanceId);
          ids.forEach((id) => foreign.add(id));
          return ids;
        },
        existing: async (ids) => ids.filter((id) => fake.firewalls.has(id)),
      },
      unreachable: () => createDigitalOceanProvisioner({ token: TOKEN, baseUrl: 'http://127.0.0.1:9' }),
      faults: {
        rateLimitCreate: (retryAfterSeconds) =>
          fake.inject('POST /v2/droplets', { kind: 'status', status: 429, retryAfterSeconds }),
        serverErrorsOnGet: (times) =>
          fake.inject('GET /v2/droplets/{droplet_id}', { kind: 'status', status: 503, times }),
        loseCreateResponse: () => fake.inject('POST /v2/droplets', { kind: 'lose-response' }),
      },
      stop: () => fake.stop(),
    };
  },
});

describe('#5: DigitalOcean firewalls are found on every page of the account', { skip }, () => {
  let fake: DigitalOceanFake;
  before(async () => {
    fake = await startFake();
  });
  after(() => fake?.stop());

  test('a stray firewall of ours behind a full page of foreign ones is listed and deleted alone', async () => {
    const p = createDigitalOceanProvisioner({ token: TOKEN, baseUrl: fake.url });
    // More than one page (per_page=200) of the user's firewalls, look-alikes included, before ours.
    const instanceId = crypto.randomUUID();
    for (let i = 0; i < 200; i++) fake.addFirewall({ name: `users-${i}`, tags: [`team-${i}`] });
    const foreign = plantForeignFirewalls(fake, instanceId);
    fake.inject('POST /v2/droplets', { kind: 'status', status: 503 });
    await assert.rejects(
      p.create({
        instanceId,
        name: 'claw-paged',
        region: 'fra1',
        size: 's-1vcpu-1gb',
        image: 'ubuntu-24-04-x64',
        userData: '#cloud-config\n{}\n',
        allowedSources: ['198.51.100.7'],
      }),
    );
    const ours = [...fake.firewalls.values()].filter(
      (f) => !foreign.includes(f.id) && f.name === instanceTag(instanceId),
    );
    assert.equal(ours.length, 1, 'create made one firewall');

    assert.deepEqual((await p.listOurs([])).firewallsWithoutVm, [{ instanceId, region: '' }]);
    const before = fake.firewalls.size;
    assert.deepEqual(await p.destroyFirewalls({ instanceId, region: '' }), { done: true });
    assert.equal(fake.firewalls.size, before - 1, 'exactly one firewall deleted');
    assert.ok(!fake.firewalls.has(ours[0]?.id ?? ''), 'and it is ours');
    assert.ok(
      fake.requests().some((r) => r.path === '/v2/firewalls' && r.method === 'GET' && r.query.page === '2'),
      'the second page was read',
    );
  });

  test('a failed firewall listing fails listOurs: it is never taken for "no stray firewalls"', async () => {
    const p = createDigitalOceanProvisioner({ token: TOKEN, baseUrl: fake.url });
    fake.inject('GET /v2/firewalls', { kind: 'status', status: 503 });
    await assert.rejects(p.listOurs([]), (err: unknown) => isProviderError(err) && err.retryable);
  });
});
