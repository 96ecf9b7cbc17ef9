// The WebSocket pipe against a scripted stand-in gateway: exact bytes, close codes and the token injection.
// (agent.peer.test.ts runs the same pipe against the real gateway.)
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import type { LogEntry } from './logger.ts';
import { createWsPipe } from './ws-pipe.ts';

const TOKEN = 'gateway-token-that-must-stay-put';
const MAX_PAYLOAD = 64 * 1024;

type Upstream = {
  ws: WebSocket;
  headers: http.IncomingHttpHeaders;
  received: { data: Buffer; isBinary: boolean }[];
};

let gateway: WebSocketServer;
let gatewayPort: number;
let agentServer: http.Server;
let agentUrl: string;
const upstreams: Upstream[] = [];
const logs: LogEntry[] = [];
let nextUpstream: ((upstream: Upstream) => void) | undefined;

before(async () => {
  gateway = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => gateway.once('listening', resolve));
  gatewayPort = (gateway.address() as AddressInfo).port;
  gateway.on('connection', (ws, req) => {
    const upstream: Upstream = { ws, headers: req.headers, received: [] };
    ws.on('message', (data: Buffer, isBinary) => upstream.received.push({ data, isBinary }));
    upstreams.push(upstream);
    ws.send(JSON.stringify({ type: 'event', event: 'connect.challenge', payload: { nonce: 'n' } }));
    nextUpstream?.(upstream);
  });
  const pipe = createWsPipe({
    gatewayUrl: `http://127.0.0.1:${gatewayPort}`,
    gatewayToken: TOKEN,
    maxPayloadBytes: MAX_PAYLOAD,
    pingIntervalMs: 60_000,
    log: (entry) => logs.push(entry),
    now: Date.now,
  });
  agentServer = http.createServer();
  agentServer.on('upgrade', (req, socket, head) => pipe.handleUpgrade(req, socket, head));
  await new Promise<void>((resolve) => agentServer.listen(0, '127.0.0.1', resolve));
  agentUrl = `ws://127.0.0.1:${(agentServer.address() as AddressInfo).port}/gateway`;
});

after(async () => {
  agentServer.closeAllConnections();
  await new Promise((resolve) => agentServer.close(resolve));
  for (const client of gateway.clients) client.terminate();
  await new Promise((resolve) => gateway.close(resolve));
});

async function openPiped(): Promise<{ client: WebSocket; upstream: Upstream; messages: Buffer[] }> {
  const upstreamReady = new Promise<Upstream>((resolve) => (nextUpstream = resolve));
  const client = new WebSocket(agentUrl);
  const messages: Buffer[] = [];
  const first = new Promise<void>((resolve) =>
    client.on('message', (data: Buffer) => {
      messages.push(data);
      resolve();
    }),
  );
  await first;
  return { client, upstream: await upstreamReady, messages };
}

const closeOf = (ws: WebSocket) =>
  new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
const until = async (check: () => boolean) => {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.ok(check());
};

test('upstream is reached from loopback without an Origin header or client headers', async () => {
  const { client, upstream } = await openPiped();
  assert.equal(upstream.headers.origin, undefined);
  assert.equal(upstream.headers.authorization, undefined);
  assert.equal(upstream.headers['sec-websocket-extensions'], undefined);
  client.close();
});

test('the connect frame gets the gateway token, replacing the client auth; later frames pass unchanged', async () => {
  const { client, upstream, messages } = await openPiped();
  client.send(
    JSON.stringify({ type: 'req', id: 'c', method: 'connect', params: { auth: { password: 'x' } } }),
  );
  const later = '{"type":"req","id":"h",  "method":"health","params":{"auth":{"token":"not-touched"}}}';
  client.send(later);
  client.send(Buffer.from([0, 1, 2, 255]), { binary: true });
  await until(() => upstream.received.length === 3);
  const connect = JSON.parse(upstream.received[0]!.data.toString()) as { params: { auth: unknown } };
  assert.deepEqual(connect.params.auth, { token: TOKEN });
  assert.equal(upstream.received[1]!.data.toString(), later);
  assert.equal(upstream.received[1]!.isBinary, false);
  assert.deepEqual([...upstream.received[2]!.data], [0, 1, 2, 255]);
  assert.equal(upstream.received[2]!.isBinary, true);
  upstream.ws.send(Buffer.from([9, 8]), { binary: true });
  await until(() => messages.length === 2);
  assert.deepEqual([...messages[1]!], [9, 8]);
  client.close();
});

test('a first frame that is not a connect request closes with 1008 and is not forwarded', async () => {
  const { client, upstream } = await openPiped();
  const closed = closeOf(client);
  client.send(JSON.stringify({ type: 'req', id: 'x', method: 'health', params: {} }));
  assert.equal((await closed).code, 1008);
  assert.equal(upstream.received.length, 0);
});

test('an upstream close code and reason are mirrored to the client', async () => {
  const { client, upstream } = await openPiped();
  const closed = closeOf(client);
  upstream.ws.close(1012, 'service restart');
  assert.deepEqual(await closed, { code: 1012, reason: 'service restart' });
});

test('an upstream that drops the connection closes the client with 1011', async () => {
  const { client, upstream } = await openPiped();
  const closed = closeOf(client);
  upstream.ws.terminate();
  assert.equal((await closed).code, 1011);
});

test('a client message over maxPayload closes with 1009 and ends the upstream', async () => {
  const { client, upstream } = await openPiped();
  const closed = closeOf(client);
  const upstreamClosed = closeOf(upstream.ws);
  client.send(JSON.stringify({ type: 'req', id: 'c', method: 'connect', params: {} }));
  client.send(Buffer.alloc(MAX_PAYLOAD + 1));
  assert.equal((await closed).code, 1009);
  await upstreamClosed;
  assert.equal(upstream.received.length, 1);
});

test('the log records sizes and codes only', () => {
  const closed = logs.filter((entry) => entry.event === 'ws.closed');
  assert.ok(closed.length > 0);
  assert.ok(!JSON.stringify(logs).includes(TOKEN));
});
