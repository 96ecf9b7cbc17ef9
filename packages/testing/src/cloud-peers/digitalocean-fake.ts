// A stateful DigitalOcean API v2 fake: Droplets, power actions, cloud firewalls, tags, regions and sizes,
// shaped by the official spec (digitalocean/openapi, resources/*/models) and run behind `prism proxy
// --errors` so every request and answer is checked against that spec. Business rules are DigitalOcean's
// documented ones where we rely on them (unknown region/size/image refused, a firewall's tags must exist);
// everything else is as simple as the spec allows.
import type { FakeRequest, FakeResponse, Route } from './fake-server.ts';
import type { SpecCheckedFake } from './spec-checked-fake.ts';
import { startSpecCheckedFake } from './spec-checked-fake.ts';

export type FakeDroplet = {
  id: number;
  name: string;
  status: 'new' | 'active' | 'off' | 'archive';
  region: string;
  size: string;
  image: string;
  tags: string[];
  userData?: string;
  monitoring: boolean;
  ipv6: boolean;
  /** GETs left before a `new` Droplet becomes `active` (DigitalOcean boots in ~30-60 s). */
  bootReads: number;
  ipv4: string;
};

export type FakeFirewallRule = { protocol: string; ports: string; sources?: { addresses?: string[] } };

export type FakeFirewall = {
  id: string;
  name: string;
  dropletIds: number[];
  tags: string[];
  inbound: FakeFirewallRule[];
  outbound: unknown[];
};

export type DigitalOceanFake = SpecCheckedFake & {
  /** Plants a running Droplet as if someone else had made it (not through our API calls). */
  addDroplet(init: { name: string; tags?: string[] }): number;
  /** Plants a firewall (admitting nothing) as if someone else had made it; its tags are created too. */
  addFirewall(init: { name: string; tags?: string[]; dropletIds?: number[] }): string;
  droplets: Map<number, FakeDroplet>;
  firewalls: Map<string, FakeFirewall>;
  tags: Set<string>;
};

const REGIONS = [
  { slug: 'nyc3', name: 'New York 3' },
  { slug: 'fra1', name: 'Frankfurt 1' },
  { slug: 'ams3', name: 'Amsterdam 3' },
];
// Prices as in the spec's examples (resources/sizes/examples.yml), USD.
const SIZES = [
  {
    slug: 's-1vcpu-1gb',
    memory: 1024,
    vcpus: 1,
    disk: 25,
    transfer: 1,
    price_monthly: 6,
    price_hourly: 0.00893,
  },
  {
    slug: 's-1vcpu-2gb',
    memory: 2048,
    vcpus: 1,
    disk: 50,
    transfer: 2,
    price_monthly: 12,
    price_hourly: 0.01786,
  },
  {
    slug: 's-2vcpu-4gb',
    memory: 4096,
    vcpus: 2,
    disk: 80,
    transfer: 4,
    price_monthly: 24,
    price_hourly: 0.03571,
  },
];
const IMAGES = ['ubuntu-24-04-x64', 'debian-12-x64'];
const CREATED_AT = '2026-11-29T12:00:00Z';

const error = (status: number, id: string, message: string): FakeResponse => ({
  status,
  body: { id, message, request_id: '4d9d8375-3c56-4925-a3e7-eb137fed17e9' },
});

const regionBody = (r: (typeof REGIONS)[number]) => ({
  ...r,
  features: ['backups', 'ipv6', 'monitoring'],
  available: true,
  sizes: SIZES.map((s) => s.slug),
});
const sizeBody = (s: (typeof SIZES)[number]) => ({
  ...s,
  regions: REGIONS.map((r) => r.slug),
  available: true,
  description: 'Basic',
});
const page = (key: string, items: unknown[]) => ({ [key]: items, links: {}, meta: { total: items.length } });

/**
 * One page of a listing as shared/parameters.yml (`per_page` default 20, `page` from 1) and shared/pages.yml
 * (`links.pages` with first/prev and last/next URIs, absolute as DigitalOcean writes them) describe it.
 */
function paged(key: string, items: unknown[], req: FakeRequest) {
  const perPage = Number(req.query.get('per_page') ?? 20);
  const current = Number(req.query.get('page') ?? 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const link = (n: number) => {
    const u = new URL(req.path, 'https://api.digitalocean.com');
    u.search = req.query.toString();
    u.searchParams.set('page', String(n));
    return u.toString();
  };
  return {
    [key]: items.slice((current - 1) * perPage, current * perPage),
    links: {
      pages: {
        ...(current > 1 && { first: link(1), prev: link(current - 1) }),
        ...(current < last && { last: link(last), next: link(current + 1) }),
      },
    },
    meta: { total: items.length },
  };
}

export async function startDigitalOceanFake(options: {
  spec: string;
  /** The address new Droplets get; a workflow test points it at a local agent (default: TEST-NET-3). */
  publicIpv4?: string;
}): Promise<DigitalOceanFake> {
  const droplets = new Map<number, FakeDroplet>();
  const firewalls = new Map<string, FakeFirewall>();
  const tags = new Set<string>();
  const actions = new Map<number, { dropletId: number; type: string; done: boolean }>();
  let nextId = 100_000;

  const dropletBody = (d: FakeDroplet) => {
    const size = SIZES.find((s) => s.slug === d.size) ?? SIZES[0];
    const region = REGIONS.find((r) => r.slug === d.region) ?? REGIONS[0];
    // Addresses are assigned while the Droplet boots: a `new` Droplet has none yet.
    const booted = d.status !== 'new';
    return {
      id: d.id,
      name: d.name,
      memory: size?.memory,
      vcpus: size?.vcpus,
      disk: size?.disk,
      locked: false,
      status: d.status,
      kernel: null,
      created_at: CREATED_AT,
      features: [...(d.monitoring ? ['monitoring'] : []), ...(d.ipv6 ? ['ipv6'] : [])],
      backup_ids: [],
      next_backup_window: null,
      snapshot_ids: [],
      image: { id: 1, name: d.image, slug: d.image, distribution: 'Ubuntu', public: true, type: 'base' },
      volume_ids: [],
      size: size && sizeBody(size),
      size_slug: d.size,
      networks: {
        v4: booted
          ? [{ ip_address: d.ipv4, netmask: '255.255.240.0', gateway: '203.0.113.1', type: 'public' }]
          : [],
        v6:
          booted && d.ipv6
            ? [
                {
                  ip_address: `2001:db8::${(d.id % 0xffff).toString(16)}`,
                  netmask: 64,
                  gateway: '2001:db8::1',
                  type: 'public',
                },
              ]
            : [],
      },
      region: region && regionBody(region),
      tags: d.tags,
      vpc_uuid: '760e09ef-dc84-11e8-981e-3cfdfeaae000',
    };
  };

  const firewallBody = (f: FakeFirewall) => ({
    id: f.id,
    name: f.name,
    status: 'succeeded',
    created_at: CREATED_AT,
    pending_changes: [],
    droplet_ids: f.dropletIds,
    tags: f.tags,
    inbound_rules: f.inbound,
    outbound_rules: f.outbound,
  });

  const actionBody = (id: number) => {
    const a = actions.get(id);
    return {
      id,
      status: a?.done ? 'completed' : 'in-progress',
      type: a?.type,
      started_at: CREATED_AT,
      completed_at: a?.done ? CREATED_AT : null,
      resource_id: a?.dropletId,
      resource_type: 'droplet',
      region_slug: droplets.get(a?.dropletId ?? 0)?.region ?? 'nyc3',
    };
  };

  /** Reading a Droplet advances its boot and completes its pending actions, like time passing would. */
  const advance = (d: FakeDroplet): void => {
    if (d.status === 'new' && d.bootReads-- <= 0) d.status = 'active';
    for (const a of actions.values()) {
      if (a.dropletId !== d.id || a.done) continue;
      a.done = true;
      if (a.type === 'power_off' || a.type === 'shutdown') d.status = 'off';
      if (a.type === 'power_on' || a.type === 'reboot') d.status = 'active';
    }
  };

  const dropletOr404 = (raw: string | undefined): FakeDroplet | FakeResponse => {
    const d = droplets.get(Number(raw));
    return d ?? error(404, 'not_found', 'The resource you were accessing could not be found.');
  };
  const isResponse = (v: FakeDroplet | FakeResponse): v is FakeResponse => 'status' in v && 'body' in v;

  const routes: Route[] = [
    {
      method: 'GET',
      path: '/v2/regions',
      handle: () => ({ status: 200, body: page('regions', REGIONS.map(regionBody)) }),
    },
    {
      method: 'GET',
      path: '/v2/sizes',
      handle: () => ({ status: 200, body: page('sizes', SIZES.map(sizeBody)) }),
    },
    {
      method: 'POST',
      path: '/v2/tags',
      handle: ({ body }) => {
        const name = (body as { name: string }).name;
        tags.add(name);
        return { status: 201, body: { tag: { name, resources: { count: 0, last_tagged_uri: '' } } } };
      },
    },
    {
      method: 'POST',
      path: '/v2/droplets',
      handle: ({ body }) => {
        const b = body as {
          name: string;
          region: string;
          size: string;
          image: string;
          tags?: string[];
          user_data?: string;
          monitoring?: boolean;
          ipv6?: boolean;
        };
        if (!REGIONS.some((r) => r.slug === b.region))
          return error(422, 'unprocessable_entity', 'Region is not available');
        if (!SIZES.some((s) => s.slug === b.size))
          return error(422, 'unprocessable_entity', 'Size is not available');
        if (!IMAGES.includes(b.image)) return error(422, 'unprocessable_entity', 'Image is not available');
        const id = nextId++;
        const d: FakeDroplet = {
          id,
          name: b.name,
          status: 'new',
          region: b.region,
          size: b.size,
          image: b.image,
          tags: b.tags ?? [],
          userData: b.user_data,
          monitoring: b.monitoring ?? false,
          ipv6: b.ipv6 ?? false,
          bootReads: 1,
          ipv4: options.publicIpv4 ?? `203.0.113.${id % 250}`,
        };
        // Tags named on create are created if missing (droplet_create.yml, `tags`).
        d.tags.forEach((t) => tags.add(t));
        droplets.set(id, d);
        return { status: 202, body: { droplet: dropletBody(d), links: { actions: [] } } };
      },
    },
    {
      method: 'GET',
      path: '/v2/droplets',
      handle: ({ query }) => {
        const tag = query.get('tag_name');
        const found = [...droplets.values()].filter((d) => !tag || d.tags.includes(tag));
        found.forEach(advance);
        return { status: 200, body: page('droplets', found.map(dropletBody)) };
      },
    },
    {
      // Present so that a call to it shows up in the request log as this route; our code must never call it.
      method: 'DELETE',
      path: '/v2/droplets',
      handle: ({ query }) => {
        const tag = query.get('tag_name');
        for (const d of droplets.values()) if (tag && d.tags.includes(tag)) droplets.delete(d.id);
        return { status: 204 };
      },
    },
    {
      method: 'GET',
      path: '/v2/droplets/{droplet_id}',
      handle: ({ params }) => {
        const d = dropletOr404(params.droplet_id);
        if (isResponse(d)) return d;
        advance(d);
        return { status: 200, body: { droplet: dropletBody(d) } };
      },
    },
    {
      method: 'DELETE',
      path: '/v2/droplets/{droplet_id}',
      handle: ({ params }) => {
        const d = dropletOr404(params.droplet_id);
        if (isResponse(d)) return d;
        droplets.delete(d.id);
        for (const f of firewalls.values()) f.dropletIds = f.dropletIds.filter((id) => id !== d.id);
        return { status: 204 };
      },
    },
    {
      method: 'POST',
      path: '/v2/droplets/{droplet_id}/actions',
      handle: ({ params, body }) => {
        const d = dropletOr404(params.droplet_id);
        if (isResponse(d)) return d;
        const id = nextId++;
        actions.set(id, { dropletId: d.id, type: (body as { type: string }).type, done: false });
        return { status: 201, body: { action: actionBody(id) } };
      },
    },
    {
      method: 'GET',
      path: '/v2/droplets/{droplet_id}/actions/{action_id}',
      handle: ({ params }) => {
        const d = dropletOr404(params.droplet_id);
        if (isResponse(d)) return d;
        if (actions.get(Number(params.action_id))?.dropletId !== d.id)
          return error(404, 'not_found', 'No such action.');
        advance(d);
        return { status: 200, body: { action: actionBody(Number(params.action_id)) } };
      },
    },
    {
      method: 'POST',
      path: '/v2/firewalls',
      handle: ({ body }) => {
        const b = body as {
          name: string;
          droplet_ids?: number[];
          tags?: string[];
          inbound_rules?: FakeFirewallRule[];
          outbound_rules?: unknown[];
        };
        const unknownTag = b.tags?.find((t) => !tags.has(t));
        if (unknownTag) return error(422, 'unprocessable_entity', `tag ${unknownTag} does not exist`);
        const f: FakeFirewall = {
          id: crypto.randomUUID(),
          name: b.name,
          dropletIds: b.droplet_ids ?? [],
          tags: b.tags ?? [],
          inbound: b.inbound_rules ?? [],
          outbound: b.outbound_rules ?? [],
        };
        firewalls.set(f.id, f);
        return { status: 202, body: { firewall: firewallBody(f) } };
      },
    },
    {
      method: 'GET',
      path: '/v2/firewalls',
      handle: (req) => ({
        status: 200,
        body: paged('firewalls', [...firewalls.values()].map(firewallBody), req),
      }),
    },
    {
      method: 'DELETE',
      path: '/v2/firewalls/{firewall_id}',
      handle: ({ params }) =>
        firewalls.delete(params.firewall_id ?? '')
          ? { status: 204 }
          : error(404, 'not_found', 'The resource you were accessing could not be found.'),
    },
  ];

  const fake = await startSpecCheckedFake({
    spec: options.spec,
    routes,
    // shared/responses/too_many_requests.yml & co: `{ id, message, request_id }` plus the rate-limit headers.
    errorResponse: (status, code, message) => ({
      ...error(status, code, message),
      headers: { 'ratelimit-limit': '5000', 'ratelimit-remaining': '0', 'ratelimit-reset': '1764417600' },
    }),
  });
  const addDroplet = (init: { name: string; tags?: string[] }): number => {
    const id = nextId++;
    droplets.set(id, {
      id,
      name: init.name,
      status: 'active',
      region: 'nyc3',
      size: 's-1vcpu-1gb',
      image: 'ubuntu-24-04-x64',
      tags: init.tags ?? [],
      monitoring: false,
      ipv6: false,
      bootReads: 0,
      ipv4: `203.0.113.${id % 250}`,
    });
    return id;
  };
  const addFirewall = (init: { name: string; tags?: string[]; dropletIds?: number[] }): string => {
    const id = crypto.randomUUID();
    init.tags?.forEach((t) => tags.add(t));
    firewalls.set(id, {
      id,
      name: init.name,
      dropletIds: init.dropletIds ?? [],
      tags: init.tags ?? [],
      inbound: [],
      outbound: [],
    });
    return id;
  };
  return { ...fake, addDroplet, addFirewall, droplets, firewalls, tags };
}
