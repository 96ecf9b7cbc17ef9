// The support routes, behind the instance credential like the pipes (server.ts checks it first):
//   POST   /support/grants        {caPublicKey, durationSeconds?, admin?, sourceAddresses?} -> 201 {grantId, principal, notAfter}
//   GET    /support/grants        -> 200 {grant: {...} | null, liveSessions}
//   DELETE /support/grants/{id}   -> 200 {grantId, sessionsEnded, processesKilled, killMs}
//   GET    /support/log?from=&limit= -> 200 {entries, verification}
//   GET    /support/host-keys     -> 200 {hostKeys: ['<type> <base64>', …]} during a grant, 409 otherwise
//   GET    /support/tunnel        -> 426 unless it is an upgrade (those are answered by support-tunnel.ts)
// The log holds terminal content: it goes into this response only, never into the agent's log lines.
import type http from 'node:http';
import { readBody, rejectTooLarge, sendError, sendJson } from '../http-util.ts';
import { parseGrantRequest, publicGrant } from './grant.ts';
import type { Support } from './support-service.ts';
import { SupportError } from './support-error.ts';
import type { SupportErrorCode } from './support-error.ts';
import { TUNNEL_PATH, TUNNEL_PROTOCOL } from './support-tunnel.ts';

const BODY_BYTES = 16 * 1024;
const LOG_PAGE = { default: 1000, max: 10_000 };
const STATUS: Record<SupportErrorCode, number> = {
  invalid_request: 400,
  not_found: 404,
  grant_active: 409,
  no_active_grant: 409,
  support_user_missing: 503,
  sudo_unavailable: 503,
  sshd_config_invalid: 500,
  sshd_reload_timeout: 500,
  sessions_survived: 500,
  host_keys_unavailable: 500,
};

function integerParam(url: URL, name: string, fallback: number, max: number): number {
  const raw = url.searchParams.get(name);
  const value = raw === null ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > max) throw new SupportError('invalid_request');
  return value;
}

async function jsonBody(req: http.IncomingMessage): Promise<unknown> {
  const body = await readBody(req, BODY_BYTES);
  if (body === undefined) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new SupportError('invalid_request');
  }
}

export function createSupportRoutes(support: Support) {
  async function route(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const grantPath = /^\/support\/grants\/([0-9a-f-]{36})$/.exec(url.pathname);
    const route = `${req.method} ${grantPath ? '/support/grants/{id}' : url.pathname}`;
    switch (route) {
      case 'POST /support/grants': {
        const body = await jsonBody(req);
        if (body === undefined) return rejectTooLarge(res);
        const grant = await support.grant(parseGrantRequest(body));
        const { grantId, principal, notAfter } = publicGrant(grant);
        return sendJson(res, 201, { grantId, principal, notAfter });
      }
      case 'GET /support/grants': {
        const { grant, liveSessions } = await support.state();
        return sendJson(res, 200, { grant: grant ? publicGrant(grant) : null, liveSessions });
      }
      case 'DELETE /support/grants/{id}':
        return sendJson(res, 200, await support.revoke(grantPath?.[1] ?? ''));
      case 'GET /support/log': {
        const from = integerParam(url, 'from', 0, Number.MAX_SAFE_INTEGER);
        const limit = integerParam(url, 'limit', LOG_PAGE.default, LOG_PAGE.max);
        return sendJson(res, 200, support.readLog(from, limit));
      }
      case 'GET /support/host-keys':
        return sendJson(res, 200, { hostKeys: await support.hostKeys() });
      case `GET ${TUNNEL_PATH}`:
        // RFC 9110 §15.5.22: 426 names the protocol to upgrade to.
        res.setHeader('upgrade', TUNNEL_PROTOCOL);
        return sendError(res, 426, 'upgrade_required');
      default:
        return sendError(res, 404, 'not_found');
    }
  }

  return async (req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> => {
    try {
      await route(req, res, url);
    } catch (err) {
      if (!(err instanceof SupportError)) throw err;
      sendError(res, STATUS[err.code], err.code);
    }
  };
}

export type SupportRoutes = ReturnType<typeof createSupportRoutes>;
