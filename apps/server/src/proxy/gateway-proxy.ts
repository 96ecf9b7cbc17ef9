import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { and, gt, inArray, sql } from 'drizzle-orm';
import { parse as parseCookies } from 'hono/utils/cookie';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { schema, type Db } from '@claw/db';
import { describeError, type Logger } from '@claw/logger';
import { appendAudit } from '../audit/audit-log.ts';
import type { SessionService } from '../auth/session-service.ts';
import type { ProxyLimits } from '../config.ts';
import { coarseIp, coarseUserAgent } from '../http/client-info.ts';
import { sessionCookieName, type CookiePolicy } from '../http/session-cookie.ts';
import type { InstanceService } from '../instances/instance-service.ts';
import type { Tickets } from '../instances/tickets.ts';
import { browserCodeForUpstreamClose, closeCodes, isSendable } from './close-codes.ts';
import { createRateLimiter } from './rate-limiter.ts';

const { sessions: sessionsTable } = schema;
const route = /^\/api\/instances\/([0-9a-f-]{36})\/gateway$/;
// Messages a browser may send before the instance side is open (the OpenClaw client waits for the challenge).
const maxPending = 16;

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
  tokenHash: Buffer;
  lastActivity: number;
  browser: WebSocket;
  upstream: WebSocket;
  alive: { browser: boolean; upstream: boolean };
  finish(code: number, reason: string): void;
};

// A peer that does not read never sees our close frame; past this grace its socket is destroyed
// so that whatever was queued for it is freed.
const closeGraceMs = 2_000;

function closeWithin(ws: WebSocket, code: number, reason: string): void {
  if (ws.readyState !== WebSocket.OPEN) return ws.terminate();
  ws.close(code, reason);
  setTimeout(() => ws.terminate(), closeGraceMs).unref();
}

const refused = (status: number, reason: string) => ({ ok: false, status, reason }) as const;

function refuse(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/**
 * The chat pipe: a browser WebSocket, authorised before the upgrade, joined to a WebSocket to the
 * instance's agent. Frames pass through unchanged and unread; only their sizes are counted. The
 * instance side is opened only here, as the far end of an authenticated browser socket, and
 * nothing but the browser's own frames is ever sent on it.
 */
export function createGatewayProxy(deps: GatewayProxyDeps) {
  const { limits, log } = deps;
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: limits.maxMessageBytes,
    clientTracking: false,
  });
  const live = new Set<Connection>();

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
      wss.handleUpgrade(req, socket, head, (browser) => relay(browser, req, verdict));
    } catch (error) {
      log.warn({ event: 'proxy.refused', status: 502, ...describeError(error) });
      refuse(socket, 502, 'Bad Gateway');
    }
  }

  function relay(
    browser: WebSocket,
    req: IncomingMessage,
    ctx: Extract<Awaited<ReturnType<typeof authorise>>, { ok: true }>,
  ): void {
    const connId = randomUUID();
    const userId = ctx.session.user.id;
    const started = performance.now();
    const upstream = ctx.agent.client.openGateway(ctx.agent.credential, {
      maxPayload: limits.maxMessageBytes,
      handshakeTimeoutMs: limits.handshakeTimeoutMs,
    });
    const takeToken = createRateLimiter(limits.maxMessagesPerSecond);
    const pending: [RawData, boolean][] = [];
    const counts = { bytesIn: 0, bytesOut: 0, messagesIn: 0, messagesOut: 0 };
    let latencyMs: number | null = null;
    let finished = false;

    const connection: Connection = {
      connId,
      userId,
      tokenHash: ctx.session.tokenHash,
      lastActivity: Date.now(),
      browser,
      upstream,
      alive: { browser: true, upstream: true },
      finish,
    };
    live.add(connection);

    function finish(code: number, reason: string): void {
      if (finished) return;
      finished = true;
      live.delete(connection);
      closeWithin(browser, isSendable(code) ? code : closeCodes.normal, reason);
      closeWithin(upstream, isSendable(code) ? code : closeCodes.normal, '');
      const connectionMeta = { ...counts, closeCode: code, latencyMs };
      log.info({
        event: 'proxy.closed',
        connId,
        userId,
        instanceId: ctx.instanceId,
        ...connectionMeta,
        ms: Math.round(performance.now() - started),
      });
      appendAudit(deps.db, {
        userId,
        event: 'proxy.connection',
        outcome: code === closeCodes.normal || code === closeCodes.goingAway ? 'ok' : 'failed',
        requestId: connId,
        clientIp: coarseIp(req.socket.remoteAddress),
        clientAgent: coarseUserAgent(req.headers['user-agent']),
        instanceId: ctx.instanceId,
        connection: connectionMeta,
      }).catch((error: unknown) =>
        log.warn({ event: 'proxy.audit_failed', connId, ...describeError(error) }),
      );
    }

    function forward(dest: WebSocket, source: WebSocket, data: RawData, isBinary: boolean): void {
      dest.send(data, { binary: isBinary }, () => {
        // Resume the sender once the receiver has drained to half the high-water mark.
        if (source.isPaused && dest.bufferedAmount <= limits.highWaterBytes / 2) source.resume();
      });
      if (dest.bufferedAmount > limits.hardLimitBytes)
        return finish(closeCodes.tryAgainLater, 'receiver too slow');
      if (dest.bufferedAmount > limits.highWaterBytes) source.pause();
    }

    const sizeOf = (data: RawData) =>
      Array.isArray(data)
        ? data.reduce((n, b) => n + b.length, 0)
        : data instanceof ArrayBuffer
          ? data.byteLength
          : data.length;

    browser.on('message', (data, isBinary) => {
      connection.lastActivity = Date.now();
      if (!takeToken()) return finish(closeCodes.policy, 'message rate exceeded');
      counts.bytesIn += sizeOf(data);
      counts.messagesIn++;
      if (upstream.readyState === WebSocket.OPEN) return forward(upstream, browser, data, isBinary);
      if (pending.length >= maxPending) return finish(closeCodes.tryAgainLater, 'instance not ready');
      pending.push([data, isBinary]);
    });
    upstream.on('open', () => {
      latencyMs = Math.round(performance.now() - started);
      log.info({ event: 'proxy.opened', connId, userId, instanceId: ctx.instanceId, latencyMs });
      for (const [data, isBinary] of pending.splice(0)) forward(upstream, browser, data, isBinary);
    });
    upstream.on('message', (data, isBinary) => {
      connection.lastActivity = Date.now();
      counts.bytesOut += sizeOf(data);
      counts.messagesOut++;
      forward(browser, upstream, data, isBinary);
    });
    browser.on('pong', () => (connection.alive.browser = true));
    upstream.on('pong', () => (connection.alive.upstream = true));
    browser.on('close', (code) => finish(code, ''));
    upstream.on('close', (code) =>
      finish(
        latencyMs === null ? closeCodes.badGateway : browserCodeForUpstreamClose(code),
        'instance closed',
      ),
    );
    upstream.on('unexpected-response', () => finish(closeCodes.badGateway, 'instance refused'));
    upstream.on('error', (error) => {
      log.warn({ event: 'proxy.upstream_error', connId, ...describeError(error) });
      finish(latencyMs === null ? closeCodes.badGateway : closeCodes.upstreamError, 'instance unreachable');
    });
    browser.on('error', () => finish(closeCodes.normal, ''));
  }

  /**
   * One sweep for every connection: liveness pings, idle timeouts, and the sessions behind the
   * sockets (a session ended anywhere, by logout, expiry or deletion, closes its sockets here).
   */
  async function sweep(): Promise<void> {
    const now = Date.now();
    for (const connection of live) {
      if (now - connection.lastActivity > limits.idleTimeoutMs) connection.finish(closeCodes.idle, 'idle');
    }
    if (live.size === 0) return;
    const hashes = [...new Set([...live].map((c) => c.tokenHash.toString('hex')))].map((hex) =>
      Buffer.from(hex, 'hex'),
    );
    // A live chat is the user being present: keep its session from idling out while the socket is open.
    const valid = await deps.db
      .update(sessionsTable)
      .set({ lastSeenAt: sql`now()` })
      .where(and(inArray(sessionsTable.tokenHash, hashes), gt(sessionsTable.expiresAt, sql`now()`)))
      .returning({ tokenHash: sessionsTable.tokenHash });
    const still = new Set(valid.map((row) => row.tokenHash.toString('hex')));
    for (const connection of live) {
      if (!still.has(connection.tokenHash.toString('hex')))
        connection.finish(closeCodes.sessionEnded, 'session ended');
    }
  }

  function ping(): void {
    for (const connection of live) {
      if (!connection.alive.browser || !connection.alive.upstream) {
        connection.finish(
          connection.alive.browser ? closeCodes.upstreamError : closeCodes.goingAway,
          'no pong',
        );
        continue;
      }
      connection.alive = { browser: false, upstream: false };
      connection.browser.ping();
      if (connection.upstream.readyState === WebSocket.OPEN) connection.upstream.ping();
      else connection.alive.upstream = true;
    }
  }

  let sweeping = false;
  const sweepTimer = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    sweep()
      .catch((error: unknown) => log.warn({ event: 'proxy.sweep_failed', ...describeError(error) }))
      .finally(() => (sweeping = false));
  }, limits.sessionCheckMs);
  const pingTimer = setInterval(ping, limits.pingIntervalMs);
  sweepTimer.unref();
  pingTimer.unref();

  return {
    handleUpgrade,
    get size() {
      return live.size;
    },
    close(): void {
      clearInterval(sweepTimer);
      clearInterval(pingTimer);
      for (const connection of live) connection.finish(closeCodes.goingAway, 'server stopping');
    },
  };
}

export type GatewayProxy = ReturnType<typeof createGatewayProxy>;
