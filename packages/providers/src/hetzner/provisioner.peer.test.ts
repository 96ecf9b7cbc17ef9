// The provisioner contract against our stateful Hetzner Cloud fake behind `prism proxy --errors` with the
// Hetzner Cloud spec. Prism 5 does not match the spec's `4xx`/`5xx` response keys, so it validates our
// requests and the fake's success answers, and only warns about error answers.
import type { HetznerFake } from '../../../testing/src/cloud-peers/index.ts';
import {
  deletesBySelector,
  locatePrism,
  locateSpec,
  skipUnlessAvailable,
  startHetznerFake,
} from '../../../testing/src/cloud-peers/index.ts';
import { provisionerContract } from '../provisioner.contract.ts';
import { createHetznerProvisioner } from './provisioner.ts';

const specFile = locateSpec('hetzner');
const TOKEN = 'hz-provisioner-contract-token-0123456789abcdef0123456789abcdef0123456789abcd';

provisionerContract('Hetzner Cloud (stateful fake behind Prism)', {
  faults: true,
  skip: skipUnlessAvailable(specFile, locatePrism()),
  async start() {
    const fake: HetznerFake = await startHetznerFake({ spec: specFile.ok ? specFile.path : '' });
    const ofInstance = (labels: Record<string, string>, instanceId: string) =>
      labels['claw-instance'] === instanceId;
    return {
      provisioner: createHetznerProvisioner({ token: TOKEN, baseUrl: fake.url }),
      spec: (instanceId) => ({
        instanceId,
        name: `claw-${instanceId.slice(0, 8)}`,
        region: 'nbg1',
        size: 'cx22',
        image: 'ubuntu-24.04',
        userData: '#cloud-config\n{}\n',
        allowedSources: [],
      }),
      async inboundRules(vm) {
        const server = fake.servers.get(Number(vm.providerId));
        return (server?.firewallIds ?? [])
          .flatMap((id) => fake.firewalls.get(id)?.rules ?? [])
          .filter((r) => r.direction === 'in')
          .map((r) => ({ protocol: r.protocol, ports: r.port ?? '', sources: r.source_ips ?? [] }));
      },
      async leftovers(instanceId) {
        return [
          ...[...fake.servers.values()]
            .filter((s) => ofInstance(s.labels, instanceId))
            .map((s) => `server ${s.id}`),
          ...[...fake.firewalls.values()]
            .filter((f) => ofInstance(f.labels, instanceId))
            .map((f) => `firewall ${f.id}`),
        ];
      },
      deletesBySelector: async () => deletesBySelector(fake.requests()),
      async createForeignVm() {
        const id = fake.addServer({ name: 'users-own', labels: { 'managed-by': 'claw-cloud' } });
        return { instanceId: crypto.randomUUID(), providerId: String(id), region: 'fsn1' };
      },
      async createMalformedVm() {
        const labels = { 'managed-by': 'claw-cloud', 'claw-instance': 'not-a-uuid' };
        const id = fake.addServer({ name: 'hand-made', labels });
        return { instanceId: crypto.randomUUID(), providerId: String(id), region: 'fsn1' };
      },
      unreachable: () => createHetznerProvisioner({ token: TOKEN, baseUrl: 'http://127.0.0.1:9' }),
      faults: {
        rateLimitCreate: (retryAfterSeconds) =>
          fake.inject('POST /servers', { kind: 'status', status: 429, retryAfterSeconds }),
        serverErrorsOnGet: (times) =>
          fake.inject('GET /servers/{id}', { kind: 'status', status: 503, times }),
        loseCreateResponse: () => fake.inject('POST /servers', { kind: 'lose-response' }),
      },
      stop: () => fake.stop(),
    };
  },
});
