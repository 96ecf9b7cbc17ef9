// The provisioner contract against our stateful DigitalOcean fake behind `prism proxy --errors` with the
// official spec: every request we send and every answer the fake gives is checked against that spec.
import type { DigitalOceanFake } from '../../../testing/src/cloud-peers/index.ts';
import {
  deletesBySelector,
  locatePrism,
  locateSpec,
  skipUnlessAvailable,
  startDigitalOceanFake,
} from '../../../testing/src/cloud-peers/index.ts';
import { provisionerContract } from '../provisioner.contract.ts';
import { instanceTag } from '../provisioning.ts';
import { createDigitalOceanProvisioner } from './provisioner.ts';

const specFile = locateSpec('digitalocean');
const TOKEN = 'dop_v1_provisioner_contract_0123456789abcdef0123456789abcdef0123456789abcdef01234';

provisionerContract('DigitalOcean (stateful fake behind Prism)', {
  faults: true,
  skip: skipUnlessAvailable(specFile, locatePrism()),
  async start() {
    const fake: DigitalOceanFake = await startDigitalOceanFake({ spec: specFile.ok ? specFile.path : '' });
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
          ...[...fake.firewalls.values()].filter((f) => f.tags.includes(tag)).map((f) => `firewall ${f.id}`),
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
