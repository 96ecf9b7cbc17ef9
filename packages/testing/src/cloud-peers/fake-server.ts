// The shared core of our stateful cloud fakes (DigitalOcean, Hetzner): an HTTP server on a free loopback
// port that routes by the spec's `METHOD /path/{template}`, logs every request, and injects faults per
// route. The provider files only hold state and handlers. Run it behind `prism proxy --errors` (see
// `startSpecCheckedFake`) so every request and response, faults included, is validated against the spec.
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeRequest = {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  params: Record<string, string>;
};

export type FakeResponse = { status: number; body?: unknown; headers?: Record<string, string> };

export type Route = {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path template exactly as in the provider's spec; it is also the key for `inject`. */
  path: string;
  handle(req: FakeRequest): FakeResponse;
};

/** What one request looked like, and when (ms since the epoch); the log is how tests prove what we never call. */
export type LoggedRequest = {
  method: string;
  path: string;
  query: Record<string, string>;
  route?: string;
  at: number;
};

export type Fault =
  /** Answer with this status instead of handling the request (nothing changes), `times` requests in a row. */
  | { kind: 'status'; status: 429 | 500 | 502 | 503; times?: number; retryAfterSeconds?: number }
  /** Handle the request (the resource IS created/changed), then cut the connection before any answer. */
  | { kind: 'lose-response'; times?: number };

export type FaultTarget = `${Route['method']} ${string}`;

/** Faults queued per target (a route, an API action), applied in the order injected, each `times` times. */
export function createFaultQueue() {
  const faults = new Map<string, Array<Fault & { times: number }>>();
  return {
    add(target: string, fault: Fault): void {
      const queue = faults.get(target) ?? [];
      queue.push({ ...fault, times: fault.times ?? 1 });
      faults.set(target, queue);
    },
    /** The fault for this request, if one is queued for its target. */
    take(target: string): Fault | undefined {
      const queue = faults.get(target);
      const fault = queue?.[0];
      if (!queue || !fault) return undefined;
      fault.times -= 1;
      if (fault.times <= 0) queue.shift();
      return fault;
    },
  };
}

export type FakeServerOptions = {
  routes: readonly Route[];
  /** The provider's error response for a status (body and required headers, shaped as its spec says). */
  errorResponse(status: number, code: string, message: string): FakeResponse;
};

export type FakeServer = {
  url: string;
  requests(): LoggedRequest[];
  /** Queues a fault for `METHOD /path/template`; faults for one route apply in the order injected. */
  inject(target: FaultTarget, fault: Fault): void;
  stop(): Promise<void>;
};

const MAX_BODY_BYTES = 1 << 20;

export async function startFakeServer(options: FakeServerOptions): Promise<FakeServer> {
  const routes = options.routes.map((route) => ({ route, regex: templateRegex(route.path) }));
  const log: LoggedRequest[] = [];
  const faults = createFaultQueue();

  const server = http.createServer((req, res) => {
    readBody(req)
      .then((text) => serve(req, res, text))
      .catch((err: unknown) => send(res, options.errorResponse(500, 'server_error', String(err))));
  });

  const serve = (req: IncomingMessage, res: ServerResponse, text: string): void => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const match = routes
      .map(({ route, regex }) => ({ route, m: route.method === method ? regex.exec(url.pathname) : null }))
      .find((r) => r.m);
    log.push({
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      route: match ? `${method} ${match.route.path}` : undefined,
      at: Date.now(),
    });
    if (!match?.m) {
      send(res, options.errorResponse(404, 'not_found', 'The resource you requested could not be found.'));
      return;
    }
    const key = `${method} ${match.route.path}`;
    const fault = faults.take(key);
    if (fault?.kind === 'status') {
      const answer = options.errorResponse(
        fault.status,
        fault.status === 429 ? 'too_many_requests' : 'server_error',
        'injected fault',
      );
      if (fault.retryAfterSeconds !== undefined) {
        answer.headers = { ...answer.headers, 'retry-after': String(fault.retryAfterSeconds) };
      }
      send(res, answer);
      return;
    }
    const request: FakeRequest = {
      method,
      path: url.pathname,
      query: url.searchParams,
      body: text === '' ? undefined : JSON.parse(text),
      params: match.m.groups ?? {},
    };
    const answer = match.route.handle(request);
    if (fault?.kind === 'lose-response') {
      res.socket?.destroy();
      return;
    }
    send(res, answer);
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => log.map((entry) => ({ ...entry, query: { ...entry.query } })),
    inject(target, fault) {
      if (!options.routes.some((r) => `${r.method} ${r.path}` === target)) {
        throw new Error(`fake has no route ${target}`);
      }
      faults.add(target, fault);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** DELETEs that name no single resource (a tag, a label selector, any query): ours must never appear. */
export function deletesBySelector(log: readonly LoggedRequest[]): string[] {
  return log
    .filter((r) => r.method === 'DELETE' && (Object.keys(r.query).length > 0 || !r.route?.endsWith('}')))
    .map((r) => `${r.method} ${r.path}?${new URLSearchParams(r.query).toString()}`);
}

function send(res: ServerResponse, answer: FakeResponse): void {
  const headers: Record<string, string> = { ...answer.headers };
  let body = '';
  if (answer.body !== undefined) {
    headers['content-type'] ??= 'application/json; charset=utf-8';
    body = JSON.stringify(answer.body);
  }
  res.writeHead(answer.status, headers);
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) reject(new Error('request body too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** `/v2/droplets/{droplet_id}` → a regex with a named group per placeholder. */
function templateRegex(template: string): RegExp {
  const escaped = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped.replace(/\{([a-z_]+)\}/g, '(?<$1>[^/]+)')}$`);
}
