// A stateful Hetzner Cloud API fake: servers, power actions, firewalls, labels, locations and server types,
// shaped by the Hetzner Cloud spec (components.schemas.server, firewall, action, ...) and run behind `prism
// proxy --errors`. Business rules kept where our code relies on them (docs.hetzner.cloud): server and
// firewall names are unique per project (409 uniqueness_error), unknown location/type/image is invalid input,
// a firewall still applied to a server cannot be deleted (resource_in_use).
import type { FakeResponse, Route } from './fake-server.ts';
import type { SpecCheckedFake } from './spec-checked-fake.ts';
import { startSpecCheckedFake } from './spec-checked-fake.ts';

export type FakeHetznerServer = {
  id: number;
  name: string;
  status: 'initializing' | 'running' | 'off' | 'starting' | 'stopping';
  location: string;
  serverType: string;
  image: string;
  labels: Record<string, string>;
  userData?: string;
  firewallIds: number[];
  /** GETs left before an `initializing` server is `running`. */
  bootReads: number;
  ipv4: string;
};

export type FakeHetznerRule = {
  direction: 'in' | 'out';
  protocol: string;
  port?: string | null;
  source_ips?: string[];
  destination_ips?: string[];
};

export type FakeHetznerFirewall = {
  id: number;
  name: string;
  labels: Record<string, string>;
  rules: FakeHetznerRule[];
};

export type HetznerFake = SpecCheckedFake & {
  /** Plants a running server as if someone else had made it (not through our API calls). */
  addServer(init: { name: string; labels?: Record<string, string> }): number;
  /** Plants a firewall (no rules, applied to nothing) as if someone else had made it. */
  addFirewall(init: { name: string; labels?: Record<string, string> }): number;
  servers: Map<number, FakeHetznerServer>;
  firewalls: Map<number, FakeHetznerFirewall>;
};

const CREATED = '2026-11-29T12:00:00Z';
const LOCATIONS = [
  { id: 1, name: 'fsn1', city: 'Falkenstein', country: 'DE', network_zone: 'eu-central' },
  { id: 2, name: 'nbg1', city: 'Nuremberg', country: 'DE', network_zone: 'eu-central' },
  { id: 3, name: 'hel1', city: 'Helsinki', country: 'FI', network_zone: 'eu-central' },
];
// EUR, net of VAT, in the shape of price_per_time.
const SERVER_TYPES = [
  { id: 22, name: 'cx22', cores: 2, memory: 4, disk: 40, monthly: '3.7900', hourly: '0.0060' },
  { id: 23, name: 'cx32', cores: 4, memory: 8, disk: 80, monthly: '6.8000', hourly: '0.0110' },
];
const IMAGES = ['ubuntu-24.04', 'debian-12'];

const error = (status: number, code: string, message: string): FakeResponse => ({
  status,
  body: { error: { code, message, details: null } },
});
const meta = (total: number) => ({
  pagination: {
    page: 1,
    per_page: 50,
    previous_page: null,
    next_page: null,
    last_page: 1,
    total_entries: total,
  },
});

const locationBody = (l: (typeof LOCATIONS)[number]) => ({
  ...l,
  description: `${l.city} DC Park 1`,
  latitude: 50.47612,
  longitude: 12.370071,
});
const serverTypeBody = (t: (typeof SERVER_TYPES)[number]) => ({
  id: t.id,
  name: t.name,
  description: t.name.toUpperCase(),
  category: 'Shared vCPU',
  cores: t.cores,
  memory: t.memory,
  disk: t.disk,
  deprecated: false,
  deprecation: null,
  cpu_type: 'shared',
  storage_type: 'local',
  architecture: 'x86',
  locations: LOCATIONS.map((l) => ({ id: l.id, name: l.name, deprecation: null })),
  prices: LOCATIONS.map((l) => ({
    location: l.name,
    included_traffic: 21990232555520,
    price_hourly: { net: t.hourly, gross: t.hourly },
    price_monthly: { net: t.monthly, gross: t.monthly },
    price_per_tb_traffic: { net: '1.0000', gross: '1.1900' },
  })),
});

/** Hetzner label selectors (docs "Label Selector"): we only need `k=v` terms joined by commas. */
function matchesSelector(labels: Record<string, string>, selector: string | null): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [key = '', value] = term.split('=');
    return value === undefined ? key in labels : labels[key] === value;
  });
}

export async function startHetznerFake(options: {
  spec: string;
  /** The address new servers get; a workflow test points it at a local agent (default: TEST-NET-2). */
  publicIpv4?: string;
}): Promise<HetznerFake> {
  const servers = new Map<number, FakeHetznerServer>();
  const firewalls = new Map<number, FakeHetznerFirewall>();
  const actions = new Map<number, { serverId: number; command: string; done: boolean }>();
  let nextId = 4_200;

  const action = (serverId: number, command: string, done = false) => {
    const id = nextId++;
    actions.set(id, { serverId, command, done });
    return actionBody(id);
  };
  const actionBody = (id: number) => {
    const a = actions.get(id);
    return {
      id,
      command: a?.command ?? 'unknown',
      status: a?.done ? 'success' : 'running',
      progress: a?.done ? 100 : 0,
      started: CREATED,
      finished: a?.done ? CREATED : null,
      resources: [{ id: a?.serverId ?? 0, type: 'server' }],
      error: null,
    };
  };

  const serverBody = (s: FakeHetznerServer) => {
    const type = SERVER_TYPES.find((t) => t.name === s.serverType) ?? SERVER_TYPES[0];
    const location = LOCATIONS.find((l) => l.name === s.location) ?? LOCATIONS[0];
    const loc = location && locationBody(location);
    return {
      id: s.id,
      name: s.name,
      status: s.status,
      created: CREATED,
      labels: s.labels,
      locked: false,
      backup_window: null,
      datacenter: {
        id: location?.id,
        name: `${location?.name}-dc1`,
        description: `${location?.city} DC 1`,
        location: loc,
        server_types: { available: [], available_for_migration: [], supported: [] },
      },
      location: loc,
      image: {
        id: 1,
        name: s.image,
        description: s.image,
        type: 'system',
        status: 'available',
        architecture: 'x86',
        bound_to: null,
        created: CREATED,
        created_from: null,
        deleted: null,
        deprecated: null,
        disk_size: 5,
        image_size: null,
        labels: {},
        os_flavor: s.image.startsWith('debian') ? 'debian' : 'ubuntu',
        os_version: null,
        protection: { delete: false },
        rapid_deploy: true,
      },
      iso: null,
      included_traffic: 21990232555520,
      ingoing_traffic: 0,
      outgoing_traffic: 0,
      primary_disk_size: type?.disk,
      private_net: [],
      protection: { delete: false, rebuild: false },
      public_net: {
        ipv4: { id: s.id, ip: s.ipv4, blocked: false, dns_ptr: 'static.example.com' },
        ipv6: { id: s.id, ip: `2001:db8:${(s.id % 0xffff).toString(16)}::/64`, blocked: false, dns_ptr: [] },
        floating_ips: [],
        firewalls: s.firewallIds.map((id) => ({ id, status: 'applied' })),
      },
      rescue_enabled: false,
      server_type: type && serverTypeBody(type),
      load_balancers: [],
      volumes: [],
    };
  };

  const firewallBody = (f: FakeHetznerFirewall) => ({
    id: f.id,
    name: f.name,
    labels: f.labels,
    created: CREATED,
    rules: f.rules.map((r) => ({
      description: null,
      port: null,
      source_ips: [],
      destination_ips: [],
      ...r,
    })),
    applied_to: [...servers.values()]
      .filter((s) => s.firewallIds.includes(f.id))
      .map((s) => ({ type: 'server', server: { id: s.id } })),
  });

  /** Reading a server advances its boot and completes its actions, like time passing would. */
  const advance = (s: FakeHetznerServer): void => {
    if (s.status === 'initializing' && s.bootReads-- <= 0) s.status = 'running';
    for (const a of actions.values()) {
      if (a.serverId !== s.id || a.done) continue;
      a.done = true;
      if (a.command === 'shutdown_server') s.status = 'off';
      if (a.command === 'start_server' || a.command === 'reboot_server') s.status = 'running';
    }
  };

  const notFound = error(404, 'not_found', 'server not found');
  const serverAction =
    (command: string): Route['handle'] =>
    ({ params }) => {
      const s = servers.get(Number(params.id));
      if (!s) return notFound;
      return { status: 201, body: { action: action(s.id, command) } };
    };

  const routes: Route[] = [
    {
      method: 'GET',
      path: '/locations',
      handle: () => ({
        status: 200,
        body: { locations: LOCATIONS.map(locationBody), meta: meta(LOCATIONS.length) },
      }),
    },
    {
      method: 'GET',
      path: '/server_types',
      handle: () => ({
        status: 200,
        body: { server_types: SERVER_TYPES.map(serverTypeBody), meta: meta(SERVER_TYPES.length) },
      }),
    },
    {
      method: 'GET',
      path: '/servers',
      handle: ({ query }) => {
        const found = [...servers.values()].filter((s) =>
          matchesSelector(s.labels, query.get('label_selector')),
        );
        found.forEach(advance);
        return { status: 200, body: { servers: found.map(serverBody), meta: meta(found.length) } };
      },
    },
    {
      method: 'POST',
      path: '/servers',
      handle: ({ body }) => {
        const b = body as {
          name: string;
          server_type: string;
          image: string;
          location?: string;
          labels?: Record<string, string>;
          user_data?: string;
          firewalls?: Array<{ firewall: number }>;
        };
        if ([...servers.values()].some((s) => s.name === b.name)) {
          return error(409, 'uniqueness_error', 'server name is already used');
        }
        const location = b.location ?? 'fsn1';
        if (!LOCATIONS.some((l) => l.name === location))
          return error(400, 'invalid_input', 'unknown location');
        if (!SERVER_TYPES.some((t) => t.name === b.server_type))
          return error(400, 'invalid_input', 'unknown server type');
        if (!IMAGES.includes(b.image)) return error(400, 'invalid_input', 'unknown image');
        const firewallIds = (b.firewalls ?? []).map((f) => f.firewall);
        if (firewallIds.some((id) => !firewalls.has(id)))
          return error(404, 'not_found', 'firewall not found');
        const id = nextId++;
        const s: FakeHetznerServer = {
          id,
          name: b.name,
          status: 'initializing',
          location,
          serverType: b.server_type,
          image: b.image,
          labels: b.labels ?? {},
          userData: b.user_data,
          firewallIds,
          bootReads: 1,
          ipv4: options.publicIpv4 ?? `198.51.100.${id % 250}`,
        };
        servers.set(s.id, s);
        return {
          status: 201,
          body: {
            server: serverBody(s),
            action: action(s.id, 'create_server', true),
            next_actions: [action(s.id, 'start_server', true)],
            root_password: null,
          },
        };
      },
    },
    {
      method: 'GET',
      path: '/servers/{id}',
      handle: ({ params }) => {
        const s = servers.get(Number(params.id));
        if (!s) return notFound;
        advance(s);
        return { status: 200, body: { server: serverBody(s) } };
      },
    },
    {
      method: 'DELETE',
      path: '/servers/{id}',
      handle: ({ params }) => {
        const s = servers.get(Number(params.id));
        if (!s) return notFound;
        servers.delete(s.id);
        return { status: 200, body: { action: action(s.id, 'delete_server', true) } };
      },
    },
    { method: 'POST', path: '/servers/{id}/actions/poweron', handle: serverAction('start_server') },
    { method: 'POST', path: '/servers/{id}/actions/shutdown', handle: serverAction('shutdown_server') },
    { method: 'POST', path: '/servers/{id}/actions/reboot', handle: serverAction('reboot_server') },
    {
      method: 'GET',
      path: '/actions/{id}',
      handle: ({ params }) => {
        const a = actions.get(Number(params.id));
        if (!a) return error(404, 'not_found', 'action not found');
        const s = servers.get(a.serverId);
        if (s) advance(s);
        return { status: 200, body: { action: actionBody(Number(params.id)) } };
      },
    },
    {
      method: 'GET',
      path: '/firewalls',
      handle: ({ query }) => {
        const found = [...firewalls.values()].filter((f) =>
          matchesSelector(f.labels, query.get('label_selector')),
        );
        return { status: 200, body: { firewalls: found.map(firewallBody), meta: meta(found.length) } };
      },
    },
    {
      method: 'POST',
      path: '/firewalls',
      handle: ({ body }) => {
        const b = body as { name: string; labels?: Record<string, string>; rules?: FakeHetznerRule[] };
        if ([...firewalls.values()].some((f) => f.name === b.name)) {
          return error(409, 'uniqueness_error', 'firewall name is already used');
        }
        const f: FakeHetznerFirewall = {
          id: nextId++,
          name: b.name,
          labels: b.labels ?? {},
          rules: b.rules ?? [],
        };
        firewalls.set(f.id, f);
        return { status: 201, body: { firewall: firewallBody(f), actions: [] } };
      },
    },
    {
      method: 'DELETE',
      path: '/firewalls/{id}',
      handle: ({ params }) => {
        const id = Number(params.id);
        if (!firewalls.has(id)) return error(404, 'not_found', 'firewall not found');
        if ([...servers.values()].some((s) => s.firewallIds.includes(id))) {
          return error(422, 'resource_in_use', 'firewall is still applied to a server');
        }
        firewalls.delete(id);
        return { status: 204 };
      },
    },
  ];

  const fake = await startSpecCheckedFake({
    spec: options.spec,
    routes,
    // components.schemas.error_response; Hetzner sends Retry-After-like info only via RateLimit-* headers.
    errorResponse: (status, code, message) =>
      error(status, code === 'too_many_requests' ? 'rate_limit_exceeded' : code, message),
  });
  const addServer = (init: { name: string; labels?: Record<string, string> }): number => {
    const id = nextId++;
    servers.set(id, {
      id,
      name: init.name,
      status: 'running',
      location: 'fsn1',
      serverType: 'cx22',
      image: 'ubuntu-24.04',
      labels: init.labels ?? {},
      firewallIds: [],
      bootReads: 0,
      ipv4: `198.51.100.${id % 250}`,
    });
    return id;
  };
  const addFirewall = (init: { name: string; labels?: Record<string, string> }): number => {
    const id = nextId++;
    firewalls.set(id, { id, name: init.name, labels: init.labels ?? {}, rules: [] });
    return id;
  };
  return { ...fake, addServer, addFirewall, servers, firewalls };
}
