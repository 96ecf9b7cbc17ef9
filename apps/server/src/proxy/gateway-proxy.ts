import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { and, gt, inArray, sql } from 'drizzle-orm';
import { parse as parseCookies } from 'hono/utils/cookie';
import { schema, type Db } from '@claw/db';
import { describeError, type Logger } from '@claw/logger';
import { appendAudit } from '../audit/audit-log.ts';
import type { SessionService } from '../auth/session-service.ts';
import type { ProxyLimits } from '../config.ts';
import { coarseIp, coarseUserAgent } from '../http/client-info.ts';
import { sessionCookieName, type CookiePolicy } from '../http/session-cookie.ts';
import type { InstanceService } from '../instances/instance-service.ts';
import type { Tickets } from '../instances/tickets.ts';
import { acceptWebSocket } from './browser-handshake.ts';
import { closeCodes } from './close-codes.ts';
import { createRateLimiter } from './rate-limiter.ts';
import { Splice } from './splice.ts';

const { sessions: sessionsTable } = schema;
const route = /^\/api\/instances\/([0-9a-f-]{36})\/gateway$/;

export type GatewayProxyDeps = {
  db: Db;
  sessions: SessionService;
  cookie: CookiePolicy;
  tickets: Tickets;
  instances: InstanceService;
  allowedOrigins: () => ReadonlySet<string>;
  limits: ProxyLimits;
  log: Logger;
};

type Connection = {
  connId: string;
  userId: string;
  instanceId: string;
  tokenHex: string;
  /** performance.now() at the start: for the handshake timeout, the latency and the duration. */
  started: number;
  latencyMs: number | null;
  clientIp: string | null;
  clientAgent: string | null;
  splice: Splice;
};

// A peer that does not read never sees our close frame; past this grace its socket is cut so that
// whatever was queued for it is freed.
const closeGraceMs = 2_000;

const refused = (status: number, reason: string) => ({ ok: false, status, reason }) as const;

function refuse(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/**
 * The chat pipe: a browser WebSocket, authorised before the upgrade, spliced to a WebSocket to the
 * instance's agent (see splice.ts). Bytes pass through unchanged; only frame headers are read, to count
 * and to enforce the limits. The instance side is opened only here, as the far end of an authorised
 * browser socket, and nothing but the browser's own frames and at most one close frame of ours is ever
 * sent on it.
 */
export function createGatewayProxy(deps: GatewayProxyDeps) {
  const { limits, log } = deps;
  const live = new Set<Connection>();
  // Finished connections whose sockets are still closing, until the grace is over.
  const closing = new Set<Splice>();

  function socketsOf(userId: string): number {
    let n = 0;
    for (const connection of live) if (connection.userId === userId) n++;
    return n;
  }

  async function authorise(req: IncomingMessage, instanceId: string) {
    const origin = req.headers.origin;
    if (!origin || !deps.allowedOrigins().has(origin)) return refused(403, 'Forbidden');
    const ticket = new URL(req.url ?? '/', 'http://localhost').searchParams.get('ticket');
    const spent = ticket ? await deps.tickets.redeem(ticket) : null;
    const cookieName = sessionCookieName(deps.cookie);
    const token = parseCookies(req.headers.cookie ?? '', cookieName)[cookieName];
    const session = token ? await deps.sessions.resolve(token) : null;
    if (!session || !spent || spent.userId !== session.user.id || spent.instanceId !== instanceId) {
      return refused(401, 'Unauthorized');
    }
    const instance = await deps.instances.get(session.user.id, instanceId).catch(() => null);
    if (!instance) return refused(404, 'Not Found');
    if (socketsOf(session.user.id) >= limits.maxSocketsPerUser) return refused(429, 'Too Many Requests');
    return { ok: true, session, agent: await deps.instances.connect(instance), instanceId } as const;
  }

  async function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    // A socket that errors while we authorise must not take the process down.
    socket.on('error', () => socket.destroy());
    const match = route.exec(new URL(req.url ?? '/', 'http://localhost').pathname);
    if (!match?.[1]) return refuse(socket, 404, 'Not Found');
    try {
      const verdict = await authorise(req, match[1]);
      if (!verdict.ok) {
        log.info({ event: 'proxy.refused', status: verdict.status });
        return refuse(socket, verdict.status, verdict.reason);
      }
      if (acceptWebSocket(req, socket)) relay(socket, head, req, verdict);
    } catch (error) {
      log.warn({ event: 'proxy.refused', status: 502, ...describeError(error) });
      refuse(socket, 502, 'Bad Gateway');
    }
  }

  function relay(
    browser: Duplex,
    head: Buffer,
    req: IncomingMessage,
    ctx: Extract<Awaited<ReturnType<typeof authorise>>, { ok: true }>,
  ): void {
    const connId = randomUUID();
    const userId = ctx.session.user.id;
    const started = performance.now();
    const upstream = ctx.agent.client.openGateway(ctx.agent.credential);
    if (browser instanceof Socket)
      browser.setTimeout(0).setNoDelay(true).setKeepAlive(true, limits.pingIntervalMs);
    upstream.socket.setKeepAlive(true, limits.pingIntervalMs);

    const connection: Connection = {
      connId,
      userId,
      instanceId: ctx.instanceId,
      tokenHex: ctx.session.tokenHash.toString('hex'),
      started,
      latencyMs: null,
      // Taken now so that the request (and its headers) is not held for the life of the socket.
      clientIp: coarseIp(req.socket.remoteAddress),
      clientAgent: coarseUserAgent(req.headers['user-agent']),
      splice: new Splice(browser, upstream.socket, {
        limits,
        admitBrowserMessage: createRateLimiter(limits.maxMessagesPerSecond),
        onFinish: (code) => finished(connection, code),
        onUpstreamError: (error) =>
          log.warn({ event: 'proxy.upstream_error', connId, ...describeError(error) }),
      }),
    };
    live.add(connection);

    upstream.opened.then(
      (upstreamHead) => {
        if (connection.splice.finishedAt) return;
        connection.latencyMs = Math.round(performance.now() - started);
        log.info({
          event: 'proxy.opened',
          connId,
          userId,
          instanceId: ctx.instanceId,
          latencyMs: connection.latencyMs,
        });
        connection.splice.open(head, upstreamHead);
      },
      (error: unknown) => {
        if (connection.splice.finishedAt) return;
        log.warn({ event: 'proxy.upstream_error', connId, ...describeError(error) });
        connection.splice.finish(closeCodes.badGateway, 'instance unreachable');
      },
    );
  }

  /** The pipe ended: the connection leaves the count, and its metadata (only) is logged and audited. */
  function finished(connection: Connection, code: number): void {
    live.delete(connection);
    closing.add(connection.splice);
    const { fromBrowser, fromUpstream } = connection.splice;
    const connectionMeta = {
      bytesIn: fromBrowser.payloadBytes,
      bytesOut: fromUpstream.payloadBytes,
      messagesIn: fromBrowser.messages,
      messagesOut: fromUpstream.messages,
      closeCode: code,
      latencyMs: connection.latencyMs,
    };
    const { connId, userId, instanceId, clientIp, clientAgent } = connection;
    log.info({
      event: 'proxy.closed',
      connId,
      userId,
      instanceId,
      ...connectionMeta,
      ms: Math.round(performance.now() - connection.started),
    });
    appendAudit(deps.db, {
      userId,
      event: 'proxy.connection',
      outcome: code === closeCodes.normal || code === closeCodes.goingAway ? 'ok' : 'failed',
      requestId: connId,
      clientIp,
      clientAgent,
      instanceId,
      connection: connectionMeta,
    }).catch((error: unknown) => log.warn({ event: 'proxy.audit_failed', connId, ...describeError(error) }));
  }

  /**
   * One sweep for every connection, instead of timers per connection: handshake and idle timeouts,
   * receivers that stopped reading, the close grace, and the sessions behind the sockets (a session ended
   * anywhere, by logout, expiry or deletion, closes its sockets here).
   */
  function housekeeping(now: number): void {
    for (const { splice, started, latencyMs } of live) {
      const stalledSince = Math.min(
        splice.browserStalledSince || Infinity,
        splice.upstreamStalledSince || Infinity,
      );
      if (latencyMs === null && performance.now() - started > limits.handshakeTimeoutMs)
        splice.finish(closeCodes.badGateway, 'instance did not answer');
      else if (now - splice.lastActivity > limits.idleTimeoutMs) splice.finish(closeCodes.idle, 'idle');
      else if (now - stalledSince > limits.pingIntervalMs)
        splice.finish(closeCodes.tryAgainLater, 'receiver stopped reading');
    }
    for (const splice of closing) {
      if (!splice.closed && now - splice.finishedAt <= closeGraceMs) continue;
      splice.destroy();
      closing.delete(splice);
    }
  }

  async function checkSessions(): Promise<void> {
    if (live.size === 0) return;
    const hashes = [...new Set([...live].map((c) => c.tokenHex))].map((hex) => Buffer.from(hex, 'hex'));
    // A live chat is the user being present: keep its session from idling out while the socket is open.
    const valid = await deps.db
      .update(sessionsTable)
      .set({ lastSeenAt: sql`now()` })
      .where(and(inArray(sessionsTable.tokenHash, hashes), gt(sessionsTable.expiresAt, sql`now()`)))
      .returning({ tokenHash: sessionsTable.tokenHash });
    const still = new Set(valid.map((row) => row.tokenHash.toString('hex')));
    for (const connection of live) {
      if (!still.has(connection.tokenHex)) connection.splice.finish(closeCodes.sessionEnded, 'session ended');
    }
  }

  let checking = false;
  const sweepTimer = setInterval(() => {
    housekeeping(Date.now());
    if (checking) return;
    checking = true;
    checkSessions()
      .catch((error: unknown) => log.warn({ event: 'proxy.sweep_failed', ...describeError(error) }))
      .finally(() => (checking = false));
  }, limits.sessionCheckMs);
  sweepTimer.unref();

  return {
    handleUpgrade,
    get size() {
      return live.size;
    },
    close(): void {
      clearInterval(sweepTimer);
      for (const connection of live) connection.splice.finish(closeCodes.goingAway, 'server stopping');
      for (const splice of closing) splice.destroy();
      closing.clear();
    },
  };
}

export type GatewayProxy = ReturnType<typeof createGatewayProxy>;
