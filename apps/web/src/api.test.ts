import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError, createApi } from './api.ts';

type Call = { url: string; init: RequestInit };

function fakeServer(respond: (call: Call) => Response | Promise<Response>) {
  const calls: Call[] = [];
  const fetch = async (url: string | URL | Request, init: RequestInit = {}) => {
    const call = { url: String(url), init };
    calls.push(call);
    return respond(call);
  };
  return { calls, fetch: fetch as typeof globalThis.fetch };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });

test('state-changing requests always carry a JSON body, so they pass the server’s CSRF rule', async () => {
  const server = fakeServer(() => new Response(null, { status: 204 }));
  const api = createApi({ fetch: server.fetch });

  assert.equal(await api.logout(), undefined);
  await api.deleteAccount('hunter2hunter2');

  const [logout, deletion] = server.calls;
  assert.equal(logout?.init.method, 'POST');
  assert.equal(logout?.init.body, '{}');
  assert.equal(new Headers(logout?.init.headers).get('Content-Type'), 'application/json');
  assert.equal(deletion?.init.method, 'DELETE');
  assert.deepEqual(JSON.parse(String(deletion?.init.body)), { password: 'hunter2hunter2' });
});

test('reads send no body and pass the audit cursor through', async () => {
  const server = fakeServer(() => json(200, { events: [], nextCursor: null }));
  const api = createApi({ fetch: server.fetch });

  await api.audit({ limit: 20, cursor: 'abc/def==' });

  const [call] = server.calls;
  assert.equal(call?.init.method, 'GET');
  assert.equal(call?.init.body, undefined);
  const url = new URL(call?.url ?? '', 'http://dashboard.test');
  assert.equal(url.pathname, '/api/me/audit');
  assert.equal(url.searchParams.get('limit'), '20');
  assert.equal(url.searchParams.get('cursor'), 'abc/def==');
});

test('server errors become ApiError with code, message, field, request id and retry hint', async () => {
  const server = fakeServer(() =>
    json(
      429,
      {
        error: { code: 'auth.throttled', message: 'Too many attempts.', requestId: 'req-1', field: 'email' },
      },
      { 'Retry-After': '90' },
    ),
  );
  const api = createApi({ fetch: server.fetch });

  const error = await api.login({ email: 'a@example.com', password: 'x' }).catch((caught: unknown) => caught);

  assert.ok(error instanceof ApiError);
  assert.equal(error.status, 429);
  assert.equal(error.code, 'auth.throttled');
  assert.equal(error.message, 'Too many attempts.');
  assert.equal(error.field, 'email');
  assert.equal(error.requestId, 'req-1');
  assert.equal(error.retryAfterSeconds, 90);
});

test('a response that is not our error JSON still becomes an ApiError', async () => {
  const server = fakeServer(() => new Response('<h1>Bad gateway</h1>', { status: 502 }));
  const error = await createApi({ fetch: server.fetch })
    .me()
    .catch((caught: unknown) => caught);

  assert.ok(error instanceof ApiError);
  assert.equal(error.code, 'http.502');
  assert.equal(error.field, undefined);
});

test('a network failure becomes network.unreachable', async () => {
  const api = createApi({
    fetch: async () => {
      throw new TypeError('fetch failed');
    },
  });
  const error = await api.transparency().catch((caught: unknown) => caught);

  assert.ok(error instanceof ApiError);
  assert.equal(error.code, 'network.unreachable');
});

test('only auth.required reports the session as ended', async () => {
  let ended = 0;
  const codes = ['auth.invalid_credentials', 'auth.required'];
  const server = fakeServer(() =>
    json(401, { error: { code: codes.shift(), message: 'No.', requestId: 'req' } }),
  );
  const api = createApi({ fetch: server.fetch, onSessionEnded: () => ended++ });

  await assert.rejects(api.login({ email: 'a@example.com', password: 'wrong password' }));
  assert.equal(ended, 0, 'a wrong password is not a lost session');
  await assert.rejects(api.me());
  assert.equal(ended, 1);
});

test('cloud connections and instances: ids are escaped into the path, deletes still carry a JSON body', async () => {
  const server = fakeServer(() => new Response(null, { status: 204 }));
  const api = createApi({ fetch: server.fetch });

  await api.deleteCredential('a/b');
  await api.removeInstance('c?d');
  await api.reauthenticate('hunter2hunter2');

  const [credential, instance, step] = server.calls;
  assert.equal(credential?.url, '/api/credentials/a%2Fb');
  assert.equal(credential?.init.method, 'DELETE');
  assert.equal(credential?.init.body, '{}');
  assert.equal(instance?.url, '/api/instances/c%3Fd');
  assert.equal(step?.url, '/api/auth/reauthenticate');
  assert.deepEqual(JSON.parse(String(step?.init.body)), { password: 'hunter2hunter2' });
});

test('a stale password proof is an ApiError the step-up prompt recognises, not a signed-out session', async () => {
  let ended = 0;
  const server = fakeServer(() =>
    json(401, {
      error: { code: 'auth.reauthentication_required', message: 'Confirm your password to continue.' },
    }),
  );
  const api = createApi({ fetch: server.fetch, onSessionEnded: () => ended++ });

  await assert.rejects(
    api.addCredential({ provider: 'hetzner', label: 'x', token: 'tok-12345678', passwordProtected: false }),
    {
      code: 'auth.reauthentication_required',
    },
  );
  assert.equal(ended, 0);
});
