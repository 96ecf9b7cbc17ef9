import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { createHttp, parseRetryAfter } from './http.ts';
import { isProviderError } from './provider-error.ts';

const TOKEN = 'tok-canary-9d2f61a0';
let baseUrl: string;
let hangs: http.ServerResponse[] = [];
const server = http.createServer((req, res) => {
  const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  if (req.url === '/echo') return send(200, { auth: req.headers.authorization, method: req.method });
  if (req.url === '/leak')
    return send(500, { id: 'server_error', message: `bad token ${req.headers.authorization}` });
  if (req.url === '/limited') return send(429, { id: 'too_many_requests' }, { 'retry-after': '12' });
  if (req.url === '/gone') return send(404, { id: 'not_found', message: 'no such droplet' });
  if (req.url === '/html') {
    res.writeHead(200, { 'content-type': 'text/html' });
    return res.end('<html>');
  }
  hangs.push(res);
});

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  hangs.forEach((res) => res.destroy());
  hangs = [];
  server.closeAllConnections();
  server.close();
});

const client = (timeoutMs = 5_000) =>
  createHttp({
    provider: 'digitalocean',
    baseUrl,
    headers: { authorization: `Bearer ${TOKEN}` },
    secrets: [TOKEN],
    timeoutMs,
    parseError: (body) => body as { code?: string; message?: string },
  });

test('sends the headers and parses JSON', async () => {
  const res = await client().request<{ auth: string }>({ operation: 'echo', method: 'GET', path: '/echo' });
  assert.equal(res.body.auth, `Bearer ${TOKEN}`);
});

test('a provider that echoes the token in an error never gets it into the message', async () => {
  await assert.rejects(
    client().request({ operation: 'leak', method: 'GET', path: '/leak' }),
    (err: unknown) => {
      assert.ok(isProviderError(err));
      assert.equal(err.retryable, true);
      assert.equal(err.status, 500);
      assert.ok(!err.message.includes(TOKEN), err.message);
      assert.ok(!JSON.stringify(err).includes(TOKEN));
      return true;
    },
  );
});

test('429 is retryable and carries Retry-After; 404 is not retryable', async () => {
  await assert.rejects(
    client().request({ operation: 'x', method: 'GET', path: '/limited' }),
    (err: unknown) => {
      return isProviderError(err) && err.retryable && err.retryAfterSeconds === 12;
    },
  );
  await assert.rejects(
    client().request({ operation: 'droplets.get', method: 'GET', path: '/gone' }),
    (err: unknown) => {
      return isProviderError(err) && !err.retryable && err.status === 404 && err.operation === 'droplets.get';
    },
  );
});

test('accepted statuses are returned, not thrown', async () => {
  const res = await client().request({ operation: 'x', method: 'GET', path: '/gone', accept: [404] });
  assert.equal(res.status, 404);
});

test('a non-JSON success is an error', async () => {
  await assert.rejects(client().request({ operation: 'x', method: 'GET', path: '/html' }), /not JSON/);
});

test('a hanging server becomes a retryable timeout', async () => {
  await assert.rejects(
    client(50).request({ operation: 'x', method: 'GET', path: '/hang' }),
    (err: unknown) => {
      return isProviderError(err) && err.retryable && /no answer within 50 ms/.test(err.message);
    },
  );
});

test('a closed port is a retryable network error', async () => {
  const closed = createHttp({ provider: 'hetzner', baseUrl: 'http://127.0.0.1:9' });
  await assert.rejects(closed.request({ operation: 'x', method: 'GET', path: '/' }), (err: unknown) => {
    return isProviderError(err) && err.retryable && err.status === undefined;
  });
});

test('Retry-After: delay-seconds and HTTP-date (RFC 9110 §10.2.3)', () => {
  const now = Date.parse('2026-11-29T12:00:00Z');
  assert.equal(parseRetryAfter('30', now), 30);
  assert.equal(parseRetryAfter('Sun, 29 Nov 2026 12:01:00 GMT', now), 60);
  assert.equal(parseRetryAfter('Sun, 29 Nov 2026 11:00:00 GMT', now), 0);
  assert.equal(parseRetryAfter('soon', now), undefined);
  assert.equal(parseRetryAfter(null, now), undefined);
});
