// Hetzner Cloud provisioning through the operations in `hetznerOperations` only. API reference: the Hetzner
// Cloud spec (docs.hetzner.cloud), servers, firewalls, locations, server_types.
//
// Create order: the firewall (labelled, found again by label if it already exists; names are unique per
// project), then the server with that firewall applied at creation, so it is protected from its first boot.
// Hetzner firewalls allow all outbound traffic when a firewall has no `out` rules (docs "Firewalls"), so the
// one inbound rule is the whole policy.
import { isProviderError } from '../provider-error.ts';
import type { Provisioner, Region, Size, Vm, VmRef, VmSpec, VmStatus } from '../provisioning.ts';
import type { InstanceScope } from '../provisioning.ts';
import {
  AGENT_PORT,
  checkVmSpec,
  goneVm,
  instanceTag,
  notOurs,
  parseInstanceId,
  vmNotFound,
} from '../provisioning.ts';
import type { HetznerClientOptions } from './client.ts';
import { createHetznerClient } from './client.ts';
import type { HetznerOperationId } from './permissions.ts';
import { HETZNER_LABEL } from './permissions.ts';

export type HetznerProvisionerOptions = HetznerClientOptions;

// create_server_request.user_data: Hetzner limits user data to 32 KiB (docs "Create a Server").
const MAX_USER_DATA = 32 * 1024;
const PER_PAGE = 50;
// listOurs reads at most this many pages of each kind (500 servers of ours): one sweep's work stays bounded.
const MAX_PAGES = 10;
const INSTANCE_LABEL = 'claw-instance';

type Server = {
  id: number;
  status:
    | 'initializing'
    | 'starting'
    | 'running'
    | 'stopping'
    | 'off'
    | 'deleting'
    | 'migrating'
    | 'rebuilding'
    | 'unknown';
  labels: Record<string, string>;
  created: string;
  location: { name: string };
  server_type: { name: string };
  public_net: {
    ipv4: { ip: string } | null;
    ipv6: { ip: string } | null;
    firewalls?: Array<{ id: number }>;
  };
};

type ServerType = {
  name: string;
  cores: number;
  memory: number;
  disk: number;
  deprecated: boolean | null;
  prices: Array<{ location: string; price_hourly: { net: string }; price_monthly: { net: string } }>;
};

const STATUS: Record<Server['status'], VmStatus> = {
  initializing: 'creating',
  starting: 'transitioning',
  running: 'running',
  stopping: 'transitioning',
  off: 'off',
  deleting: 'gone',
  migrating: 'transitioning',
  rebuilding: 'transitioning',
  unknown: 'transitioning',
};

const labelsOf = (instanceId: string) => ({
  [HETZNER_LABEL.key]: HETZNER_LABEL.value,
  [INSTANCE_LABEL]: instanceId,
});
const selectorOf = (instanceId: string) =>
  Object.entries(labelsOf(instanceId))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
const isOurs = (instanceId: string, s: { labels: Record<string, string> }): boolean =>
  s.labels[HETZNER_LABEL.key] === HETZNER_LABEL.value && s.labels[INSTANCE_LABEL] === instanceId;

function toVm(instanceId: string, s: Server): Vm {
  return {
    instanceId,
    providerId: String(s.id),
    region: s.location.name,
    size: s.server_type.name,
    status: STATUS[s.status],
    publicIpv4: s.public_net.ipv4?.ip,
    // Hetzner assigns a /64 and answers with the network; the host address ::1 is the server's.
    publicIpv6: s.public_net.ipv6?.ip.replace(/::\/64$/, '::1'),
    firewallId: s.public_net.firewalls?.[0] && String(s.public_net.firewalls[0].id),
    createdAt: new Date(s.created),
  };
}

export function createHetznerProvisioner(options: HetznerProvisionerOptions): Provisioner {
  const { call } = createHetznerClient(options);

  async function ourServer(ref: VmRef, operation: string): Promise<Server | undefined> {
    const res = await call<{ server: Server }>('servers.get', {
      params: { id: ref.providerId },
      accept: [404],
    });
    if (res.status === 404) return undefined;
    if (!isOurs(ref.instanceId, res.body.server)) throw notOurs('hetzner', operation, ref.providerId);
    return res.body.server;
  }

  async function findByInstance({ instanceId }: Pick<VmRef, 'instanceId'>): Promise<Vm[]> {
    const res = await call<{ servers: Server[] }>('servers.listByLabel', {
      query: { label_selector: selectorOf(instanceId), per_page: PER_PAGE },
    });
    return res.body.servers.filter((s) => isOurs(instanceId, s)).map((s) => toVm(instanceId, s));
  }

  /** Everything labelled as ours, a page at a time up to MAX_PAGES, with the instance id it names. */
  async function listLabelled<T extends { labels: Record<string, string> }>(
    id: 'servers.listByLabel' | 'firewalls.listByLabel',
    key: 'servers' | 'firewalls',
  ): Promise<Array<{ instanceId: string; item: T }>> {
    const found: Array<{ instanceId: string; item: T }> = [];
    const selector = `${HETZNER_LABEL.key}=${HETZNER_LABEL.value}`;
    for (let page = 1; page <= MAX_PAGES; page++) {
      const res = await call<Record<typeof key, T[]>>(id, {
        query: { label_selector: selector, per_page: PER_PAGE, page },
      });
      for (const item of res.body[key]) {
        const instanceId = parseInstanceId(item.labels[INSTANCE_LABEL]);
        if (instanceId && isOurs(instanceId, item)) found.push({ instanceId, item });
      }
      if (res.body[key].length < PER_PAGE) break;
    }
    return found;
  }

  async function destroyFirewalls({ instanceId }: InstanceScope) {
    // Found by label, so a second call after a crash still cleans up. A firewall is "in use" until the
    // server's deletion has finished (error code resource_in_use): not done yet, call again.
    let done = true;
    for (const id of await ourFirewallIds(instanceId)) {
      try {
        await call('firewalls.delete', { params: { id }, accept: [404] });
      } catch (err) {
        if (!isProviderError(err) || err.code !== 'resource_in_use') throw err;
        done = false;
      }
    }
    return { done };
  }

  async function ourFirewallIds(instanceId: string): Promise<number[]> {
    const res = await call<{ firewalls: Array<{ id: number; labels: Record<string, string> }> }>(
      'firewalls.listByLabel',
      { query: { label_selector: selectorOf(instanceId), per_page: PER_PAGE } },
    );
    return res.body.firewalls.filter((f) => isOurs(instanceId, f)).map((f) => f.id);
  }

  async function ensureFirewall(spec: VmSpec, sources: string[]): Promise<number> {
    const [existing] = await ourFirewallIds(spec.instanceId);
    if (existing !== undefined) return existing;
    const res = await call<{ firewall: { id: number } }>('firewalls.create', {
      json: {
        name: instanceTag(spec.instanceId),
        labels: labelsOf(spec.instanceId),
        rules: [{ direction: 'in', protocol: 'tcp', port: String(AGENT_PORT), source_ips: sources }],
      },
    });
    return res.body.firewall.id;
  }

  async function action(ref: VmRef, id: HetznerOperationId & `servers.${'poweron' | 'shutdown' | 'reboot'}`) {
    if (!(await ourServer(ref, id))) throw vmNotFound('hetzner', id, ref.providerId);
    await call(id, { params: { id: ref.providerId } });
  }

  return {
    provider: 'hetzner',

    async create(spec) {
      const sources = checkVmSpec(spec, MAX_USER_DATA);
      const [existing] = await findByInstance(spec);
      if (existing) return existing;
      const firewallId = await ensureFirewall(spec, [...sources.ipv4, ...sources.ipv6]);
      const res = await call<{ server: Server }>('servers.create', {
        json: {
          name: spec.name,
          server_type: spec.size,
          image: spec.image,
          location: spec.region,
          user_data: spec.userData,
          labels: labelsOf(spec.instanceId),
          firewalls: [{ firewall: firewallId }],
          public_net: { enable_ipv4: true, enable_ipv6: true },
          start_after_create: true,
        },
      });
      return toVm(spec.instanceId, res.body.server);
    },

    async get(ref) {
      const server = await ourServer(ref, 'servers.get');
      return server ? toVm(ref.instanceId, server) : goneVm(ref);
    },

    findByInstance,

    async listOurs() {
      const servers = await listLabelled<Server>('servers.listByLabel', 'servers');
      const withVm = new Set(servers.map((s) => s.instanceId));
      const firewalls = await listLabelled<{ labels: Record<string, string> }>(
        'firewalls.listByLabel',
        'firewalls',
      );
      return {
        vms: servers.map((s) => toVm(s.instanceId, s.item)),
        // Hetzner firewalls belong to the project, not to a location.
        firewallsWithoutVm: [
          ...new Set(firewalls.map((f) => f.instanceId).filter((id) => !withVm.has(id))),
        ].map((instanceId) => ({ instanceId, region: '' })),
      };
    },

    destroyFirewalls,
    powerOn: (ref) => action(ref, 'servers.poweron'),
    powerOff: (ref) => action(ref, 'servers.shutdown'),
    reboot: (ref) => action(ref, 'servers.reboot'),

    async destroy(ref) {
      if (await ourServer(ref, 'servers.delete')) {
        await call('servers.delete', { params: { id: ref.providerId }, accept: [404] });
      }
      return destroyFirewalls(ref);
    },

    async listRegions(): Promise<Region[]> {
      const res = await call<{ locations: Array<{ name: string; city: string; country: string }> }>(
        'locations.list',
        { query: { per_page: PER_PAGE } },
      );
      return res.body.locations.map((l) => ({
        slug: l.name,
        name: `${l.city} (${l.country})`,
        available: true,
      }));
    },

    async listSizes(): Promise<Size[]> {
      const res = await call<{ server_types: ServerType[] }>('serverTypes.list', {
        query: { per_page: PER_PAGE },
      });
      return res.body.server_types
        .filter((t) => !t.deprecated && t.prices.length > 0)
        .map((t) => ({
          slug: t.name,
          vcpus: t.cores,
          memoryMb: t.memory * 1024,
          diskGb: t.disk,
          // Net of VAT, like the other providers' list prices; the highest across locations.
          priceMonthly: Math.max(...t.prices.map((p) => Number(p.price_monthly.net))),
          priceHourly: Math.max(...t.prices.map((p) => Number(p.price_hourly.net))),
          currency: 'EUR',
          priceIsEstimate: false,
          regions: t.prices.map((p) => p.location),
        }));
    },
  };
}
