// The WebSocket pipe: one upstream connection to the gateway per authenticated client. The agent connects
// from loopback with no Origin header (the gateway's token-only backend path, NOTES §3.2), injects the
// gateway token into the first frame, then relays frames unchanged in both directions.
import crypto from 'node:crypto';
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import { withGatewayToken } from './connect-frame.ts';
import type { Log } from './logger.ts';
import { errorCodeOf } from './logger.ts';

export type WsPipe = ReturnType<typeof createWsPipe>;

// RFC 6455 §7.4.1: 1008 policy violation, 1011 unexpected condition, 1001 going away. 1005 (no code) and
// 1006 (abnormal closure) are reserved for reporting and must not be sent, so they are mapped.
const CLOSE_POLICY = 1008;
const CLOSE_UPSTREAM_ERROR = 1011;
const CLOSE_GOING_AWAY = 1001;
const HANDSHAKE_TIMEOUT_MS = 10_000;
// Above this many bytes queued towards one side, the other side is no longer read.
const HIGH_WATER_BYTES = 1024 * 1024;

function sendableCode(code: number): number {
  if (code === 1005) return 1000;
  if (code === 1006) return CLOSE_UPSTREAM_ERROR;
  return code;
}

function closeOrAbort(ws: WebSocket, code: number, reason?: Buffer | string): void {
  if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
  else if (ws.readyState === WebSocket.OPEN) ws.close(code, reason);
}

type Counters = { bytes: number; messages: number };

export function createWsPipe(deps: {
  gatewayUrl: string;
  gatewayToken: string;
  maxPayloadBytes: number;
  pingIntervalMs: number;
  log: Log;
  now: () => number;
}) {
  const upstreamUrl = `${deps.gatewayUrl.replace(/^http/, 'ws')}/`;
  const server = new WebSocketServer({
    noServer: true,
    maxPayload: deps.maxPayloadBytes,
    perMessageDeflate: false,
  });

  function relay(src: WebSocket, dst: WebSocket, data: Buffer, isBinary: boolean, counters: Counters): void {
    if (dst.readyState !== WebSocket.OPEN) return;
    counters.bytes += data.length;
    counters.messages += 1;
    dst.send(data, { binary: isBinary }, (err) => {
      if (!err && src.isPaused && dst.bufferedAmount < HIGH_WATER_BYTES) src.resume();
    });
    if (dst.bufferedAmount >= HIGH_WATER_BYTES) src.pause();
  }

  // Both sides get pinged; one that did not answer the previous ping is dropped (its close is then mirrored).
  function keepAlive(sockets: WebSocket[]): NodeJS.Timeout {
    const alive = new Map(sockets.map((ws) => [ws, true]));
    for (const ws of sockets) ws.on('pong', () => alive.set(ws, true));
    return setInterval(() => {
      for (const ws of sockets) {
        if (ws.readyState !== WebSocket.OPEN) continue;
        if (!alive.get(ws)) ws.terminate();
        else {
          alive.set(ws, false);
          ws.ping();
        }
      }
    }, deps.pingIntervalMs);
  }

  function pipe(client: WebSocket): void {
    const connId = crypto.randomBytes(8).toString('hex');
    const started = deps.now();
    const inbound: Counters = { bytes: 0, messages: 0 };
    const outbound: Counters = { bytes: 0, messages: 0 };
    // No `origin` option: the ws client then sends no Origin header, which the gateway requires of backends.
    const upstream = new WebSocket(upstreamUrl, {
      perMessageDeflate: false,
      maxPayload: deps.maxPayloadBytes,
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    });
    const timer = keepAlive([client, upstream]);
    let sawConnect = false;
    deps.log({ event: 'ws.opened', connId });

    // Nothing is read from the client until the gateway accepted the upstream connection.
    client.pause();
    upstream.on('open', () => client.resume());

    client.on('message', (data: Buffer, isBinary) => {
      if (sawConnect) return relay(client, upstream, data, isBinary, inbound);
      sawConnect = true;
      const connect = withGatewayToken(data, isBinary, deps.gatewayToken);
      if (connect === undefined) {
        client.close(CLOSE_POLICY, 'first frame must be a connect request');
        return;
      }
      relay(client, upstream, Buffer.from(connect), false, inbound);
    });
    upstream.on('message', (data: Buffer, isBinary) => relay(upstream, client, data, isBinary, outbound));

    upstream.on('error', (err) => {
      deps.log({ event: 'ws.upstream_error', connId, errorCode: errorCodeOf(err) });
      closeOrAbort(client, CLOSE_UPSTREAM_ERROR);
    });
    // An error on the client side (e.g. a message over maxPayload) is answered by ws itself with the right
    // close code (1009); the 'close' handler below then ends the upstream.
    client.on('error', (err) => deps.log({ event: 'ws.client_error', connId, errorCode: errorCodeOf(err) }));

    upstream.on('close', (code, reason) => closeOrAbort(client, sendableCode(code), reason));
    client.on('close', (code, reason) => {
      clearInterval(timer);
      closeOrAbort(upstream, sendableCode(code), reason);
      deps.log({
        event: 'ws.closed',
        connId,
        closeCode: code,
        bytesIn: inbound.bytes,
        messagesIn: inbound.messages,
        bytesOut: outbound.bytes,
        messagesOut: outbound.messages,
        ms: deps.now() - started,
      });
    });
  }

  return {
    handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
      server.handleUpgrade(req, socket, head, pipe);
    },
    close(): void {
      for (const client of server.clients) client.close(CLOSE_GOING_AWAY, 'agent stopping');
      server.close();
    },
  };
}
