// The agent's whole HTTPS surface. Anything not listed here is a 404: no file, shell or config access.
//   GET  /healthz              unauthenticated, minimal readiness
//   POST /register             one-time adoption with the registration code
//   GET  /gateway              WebSocket pipe to the gateway (instance credential)
//   POST /v1/chat/completions  SSE pipe to the gateway (instance credential)
//   /support/...               support access, when enabled (instance credential; support/support-routes.ts)
//   GET  /support/tunnel       upgrade to a byte stream to sshd, during a grant (support/support-tunnel.ts)
import type http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import type { AgentCertificate } from './certificate.ts';
import type { CredentialStore } from './credential-store.ts';
import type { GatewayHealth } from './health.ts';
import { bearerOf, readBody, rejectTooLarge, rejectUpgrade, sendError, sendJson } from './http-util.ts';
import type { Log } from './logger.ts';
import { errorCodeOf } from './logger.ts';
import type { Registration } from './registration.ts';
import type { SsePipe } from './sse-pipe.ts';
import type { SupportRoutes } from './support/support-routes.ts';
import type { SupportTunnels } from './support/support-tunnel.ts';
import { TUNNEL_PATH } from './support/support-tunnel.ts';
import type { WsPipe } from './ws-pipe.ts';

const REGISTER_BODY_BYTES = 16 * 1024;
const REGISTER_STATUS = {
  already_registered: 409,
  invalid_code: 401,
  locked: 429,
  invalid_request: 400,
} as const;

export function createAgentServer(deps: {
  certificate: AgentCertificate;
  store: CredentialStore;
  registration: Registration;
  gatewayHealth: () => Promise<GatewayHealth>;
  agentVersion: string;
  wsPipe: WsPipe;
  ssePipe: SsePipe;
  support?: SupportRoutes;
  supportTunnel?: SupportTunnels['accept'];
  log: Log;
  now: () => number;
}): https.Server {
  const authorized = (req: http.IncomingMessage) => deps.store.verify(bearerOf(req));

  async function healthz(res: http.ServerResponse): Promise<void> {
    const gateway = await deps.gatewayHealth();
    sendJson(res, 200, { ok: true, agentVersion: deps.agentVersion, gateway });
  }

  async function register(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readBody(req, REGISTER_BODY_BYTES);
    if (body === undefined) return rejectTooLarge(res);
    let input: { code?: unknown; credential?: unknown };
    try {
      input = JSON.parse(body.toString('utf8')) as typeof input;
    } catch {
      return sendError(res, 400, 'invalid_request');
    }
    const result = deps.registration.register(input?.code, input?.credential);
    if (!result.ok) return sendError(res, REGISTER_STATUS[result.reason], result.reason);
    deps.log({ event: 'agent.registered' });
    sendJson(res, 200, {
      fingerprint: deps.certificate.fingerprint,
      agentVersion: deps.agentVersion,
      gateway: await deps.gatewayHealth(),
    });
  }

  async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://agent.invalid');
    const { pathname } = url;
    const route = `${req.method} ${pathname}`;
    if (route === 'GET /healthz') return healthz(res);
    if (route === 'POST /register') return register(req, res);
    if (route === 'POST /v1/chat/completions') {
      if (!authorized(req)) return sendError(res, 401, 'unauthorized');
      return deps.ssePipe(req, res);
    }
    if (deps.support && pathname.startsWith('/support/')) {
      if (!authorized(req)) return sendError(res, 401, 'unauthorized');
      return deps.support(req, res, url);
    }
    sendError(res, 404, 'not_found');
  }

  function refuseUpgrade(socket: Duplex, status: number, code: string): void {
    deps.log({ event: 'ws.refused', status });
    rejectUpgrade(socket, status, code);
  }

  const server = https.createServer({
    key: deps.certificate.keyPem,
    cert: deps.certificate.certPem,
    minVersion: 'TLSv1.2',
  });
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const started = deps.now();
    res.on('finish', () =>
      deps.log({ event: 'http.responded', status: res.statusCode, ms: deps.now() - started }),
    );
    route(req, res).catch((err: unknown) => {
      deps.log({ event: 'http.failed', errorCode: errorCodeOf(err) });
      if (!res.headersSent) sendError(res, 500, 'internal');
      else res.destroy();
    });
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const { pathname } = new URL(req.url ?? '/', 'https://agent.invalid');
    const accept =
      pathname === '/gateway'
        ? deps.wsPipe.handleUpgrade
        : pathname === TUNNEL_PATH
          ? deps.supportTunnel
          : undefined;
    if (req.method !== 'GET' || accept === undefined) return refuseUpgrade(socket, 404, 'not_found');
    if (!authorized(req)) return refuseUpgrade(socket, 401, 'unauthorized');
    accept(req, socket, head);
  });
  return server;
}
