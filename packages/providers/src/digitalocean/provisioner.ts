// DigitalOcean provisioning through the operations in `digitalOceanOperations` only (the token's scopes
// follow from that table). API reference: the official spec, resources/droplets, firewalls, tags.
//
// Create order: the instance tag, then a cloud firewall applied to that tag, then the Droplet carrying it,
// so the Droplet is protected from its first boot. DigitalOcean cloud firewalls drop everything not
// allowed in either direction (firewalls_create.yml), hence explicit outbound rules.
//
// Firewalls cannot be filtered by tag (firewalls_list.yml takes only paging), so ours are found by listing
// them all: a firewall is ours when its name is the instance tag and that tag is the only one it applies
// to, exactly as `create` makes it. That is how a firewall whose Droplet never came is found (#5), how a
// retried create reuses it, and how `destroy` removes it; a firewall shared with anything else is left.
import { ProviderError } from '../provider-error.ts';
import type {
  InstanceScope,
  Provisioner,
  Region,
  Size,
  Vm,
  VmRef,
  VmSpec,
  VmStatus,
} from '../provisioning.ts';
import {
  AGENT_PORT,
  checkVmSpec,
  goneVm,
  instanceIdFromTags,
  instanceTag,
  notOurs,
  vmNotFound,
} from '../provisioning.ts';
import type { DigitalOceanClientOptions } from './client.ts';
import { createDigitalOceanClient } from './client.ts';
import { DIGITALOCEAN_TAG } from './permissions.ts';

export type DigitalOceanProvisionerOptions = DigitalOceanClientOptions;

// droplet_create.yml: user_data is limited to 64 KiB.
const MAX_USER_DATA = 64 * 1024;
// The API's page size limit (shared/parameters.yml per_page maximum); sizes and regions fit in one page.
const PER_PAGE = 200;
// A listing reads at most this many pages (2,000 Droplets of ours, 2,000 firewalls of the account): one
// sweep's work stays bounded.
const MAX_PAGES = 10;
const EVERYWHERE = { addresses: ['0.0.0.0/0', '::/0'] };

type Firewall = { id: string; name: string; tags: string[] | null };

type Droplet = {
  id: number;
  status: 'new' | 'active' | 'off' | 'archive';
  size_slug: string;
  created_at: string;
  region: { slug: string };
  tags: string[];
  networks: {
    v4?: Array<{ ip_address: string; type: string }>;
    v6?: Array<{ ip_address: string; type: string }>;
  };
};

const STATUS: Record<Droplet['status'], VmStatus> = {
  new: 'creating',
  active: 'running',
  off: 'off',
  archive: 'gone',
};

function toVm(instanceId: string, d: Droplet): Vm {
  return {
    instanceId,
    providerId: String(d.id),
    region: d.region.slug,
    size: d.size_slug,
    status: STATUS[d.status],
    publicIpv4: d.networks.v4?.find((n) => n.type === 'public')?.ip_address,
    publicIpv6: d.networks.v6?.find((n) => n.type === 'public')?.ip_address,
    createdAt: new Date(d.created_at),
  };
}

const isOurs = (instanceId: string, d: Droplet): boolean =>
  d.tags.includes(DIGITALOCEAN_TAG) && d.tags.includes(instanceTag(instanceId));

/** The instance a firewall was made for by `create`, or undefined when it is not exactly as we make it. */
function firewallInstance(f: Firewall): string | undefined {
  const tags = f.tags ?? [];
  return tags.length === 1 && tags[0] === f.name ? instanceIdFromTags(tags) : undefined;
}

export function createDigitalOceanProvisioner(options: DigitalOceanProvisionerOptions): Provisioner {
  const { call } = createDigitalOceanClient(options);

  /** The Droplet if it exists and is ours; undefined on 404; throws for a Droplet that is not ours. */
  async function ourDroplet(ref: VmRef, operation: string): Promise<Droplet | undefined> {
    const res = await call<{ droplet: Droplet }>('droplets.get', {
      params: { droplet_id: ref.providerId },
      accept: [404],
    });
    if (res.status === 404) return undefined;
    if (!isOurs(ref.instanceId, res.body.droplet)) throw notOurs('digitalocean', operation, ref.providerId);
    return res.body.droplet;
  }

  /** Every item of a listing, a page at a time up to MAX_PAGES. */
  async function listAll<T>(
    id: 'droplets.listByTag' | 'firewalls.list',
    key: 'droplets' | 'firewalls',
    query: Record<string, string> = {},
  ): Promise<T[]> {
    const items: T[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const res = await call<Record<typeof key, T[]>>(id, { query: { ...query, per_page: PER_PAGE, page } });
      items.push(...res.body[key]);
      if (res.body[key].length < PER_PAGE) break;
    }
    return items;
  }

  async function ourFirewallIds(instanceId: string): Promise<string[]> {
    const all = await listAll<Firewall>('firewalls.list', 'firewalls');
    return all.filter((f) => firewallInstance(f) === instanceId).map((f) => f.id);
  }

  /** Deletes each firewall of the instance by id; one already gone (404) is success. */
  async function destroyFirewalls({ instanceId }: Pick<InstanceScope, 'instanceId'>) {
    for (const id of await ourFirewallIds(instanceId)) {
      await call('firewalls.delete', { params: { firewall_id: id }, accept: [404] });
    }
    return { done: true };
  }

  /** The instance's firewall: the one a crashed or refused earlier attempt left, or a new one. */
  async function ensureFirewall(instanceId: string, sources: string[]): Promise<string> {
    const [existing] = await ourFirewallIds(instanceId);
    if (existing !== undefined) return existing;
    const tag = instanceTag(instanceId);
    const res = await call<{ firewall: { id: string } }>('firewalls.create', {
      json: {
        name: tag,
        tags: [tag],
        inbound_rules: [{ protocol: 'tcp', ports: String(AGENT_PORT), sources: { addresses: sources } }],
        outbound_rules: [
          { protocol: 'tcp', ports: '0', destinations: EVERYWHERE },
          { protocol: 'udp', ports: '0', destinations: EVERYWHERE },
          { protocol: 'icmp', ports: '0', destinations: EVERYWHERE },
        ],
      },
    });
    return res.body.firewall.id;
  }

  async function findByInstance({ instanceId }: Pick<VmRef, 'instanceId'>): Promise<Vm[]> {
    const res = await call<{ droplets: Droplet[] }>('droplets.listByTag', {
      query: { tag_name: instanceTag(instanceId), per_page: PER_PAGE },
    });
    return res.body.droplets.filter((d) => isOurs(instanceId, d)).map((d) => toVm(instanceId, d));
  }

  async function action(ref: VmRef, type: 'power_on' | 'shutdown' | 'reboot'): Promise<void> {
    if (!(await ourDroplet(ref, 'droplets.action'))) {
      throw vmNotFound('digitalocean', 'droplets.action', ref.providerId);
    }
    await call('droplets.action', { params: { droplet_id: ref.providerId }, json: { type } });
  }

  return {
    provider: 'digitalocean',

    async create(spec: VmSpec): Promise<Vm> {
      const sources = checkVmSpec(spec, MAX_USER_DATA);
      const [existing] = await findByInstance(spec);
      if (existing) return existing;

      const tag = instanceTag(spec.instanceId);
      await call('tags.create', { json: { name: tag } });
      const firewallId = await ensureFirewall(spec.instanceId, [...sources.ipv4, ...sources.ipv6]);
      try {
        const res = await call<{ droplet: Droplet }>('droplets.create', {
          json: {
            name: spec.name,
            region: spec.region,
            size: spec.size,
            image: spec.image,
            user_data: spec.userData,
            monitoring: true,
            ipv6: true,
            tags: [DIGITALOCEAN_TAG, tag],
          },
        });
        return toVm(spec.instanceId, res.body.droplet);
      } catch (err) {
        // An answered 4xx (429 included) created nothing: remove the firewall. After a 5xx or a lost
        // answer the Droplet may exist, so its firewall stays: the retry finds the Droplet, or reuses the
        // firewall, and the reconciler deletes it if the instance is gone.
        if (err instanceof ProviderError && err.status !== undefined && err.status < 500) {
          await call('firewalls.delete', { params: { firewall_id: firewallId }, accept: [404] });
        }
        throw err;
      }
    },

    async get(ref) {
      const droplet = await ourDroplet(ref, 'droplets.get');
      return droplet ? toVm(ref.instanceId, droplet) : goneVm(ref);
    },

    findByInstance,

    async listOurs() {
      const droplets = await listAll<Droplet>('droplets.listByTag', 'droplets', {
        tag_name: DIGITALOCEAN_TAG,
      });
      const vms = droplets.flatMap((d) => {
        const instanceId = instanceIdFromTags(d.tags);
        return instanceId && isOurs(instanceId, d) ? [toVm(instanceId, d)] : [];
      });
      const withVm = new Set(vms.map((vm) => vm.instanceId));
      const firewalls = await listAll<Firewall>('firewalls.list', 'firewalls');
      const stray = firewalls.flatMap((f) => {
        const instanceId = firewallInstance(f);
        return instanceId && !withVm.has(instanceId) ? [instanceId] : [];
      });
      // DigitalOcean firewalls belong to the account, not to a region.
      return {
        vms,
        firewallsWithoutVm: [...new Set(stray)].map((instanceId) => ({ instanceId, region: '' })),
      };
    },

    destroyFirewalls,
    powerOn: (ref) => action(ref, 'power_on'),
    powerOff: (ref) => action(ref, 'shutdown'),
    reboot: (ref) => action(ref, 'reboot'),

    async destroy(ref) {
      // Droplet first: its firewall protects it until it is gone. The firewalls are looked up again each
      // time, so a destroy interrupted between the two deletes still removes them when called again.
      if (await ourDroplet(ref, 'droplets.delete')) {
        await call('droplets.delete', { params: { droplet_id: ref.providerId }, accept: [404] });
      }
      return destroyFirewalls(ref);
    },

    async listRegions(): Promise<Region[]> {
      const res = await call<{ regions: Array<{ slug: string; name: string; available: boolean }> }>(
        'regions.list',
        { query: { per_page: PER_PAGE } },
      );
      return res.body.regions.map(({ slug, name, available }) => ({ slug, name, available }));
    },

    async listSizes(): Promise<Size[]> {
      const res = await call<{
        sizes: Array<{
          slug: string;
          vcpus: number;
          memory: number;
          disk: number;
          price_monthly: number;
          price_hourly: number;
          regions: string[];
          available: boolean;
        }>;
      }>('sizes.list', { query: { per_page: PER_PAGE } });
      return res.body.sizes
        .filter((s) => s.available)
        .map((s) => ({
          slug: s.slug,
          vcpus: s.vcpus,
          memoryMb: s.memory,
          diskGb: s.disk,
          priceMonthly: s.price_monthly,
          priceHourly: s.price_hourly,
          currency: 'USD',
          priceIsEstimate: false,
          regions: s.regions,
        }));
    },
  };
}
