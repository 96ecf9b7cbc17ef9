import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestPlane, type TestPlane } from '../test-support.ts';

let t: TestPlane;
before(async () => {
  t = await startTestPlane();
});
after(() => t.close());

describe('signup and login', () => {
  test('signup signs in; /api/me answers with the cookie', async () => {
    const { client, email } = await t.signUp('Ada@Example.com');
    const me = await client.get('/api/me');
    assert.equal(me.status, 200);
    assert.equal(me.json.user.email, email.toLowerCase());
    assert.equal(me.json.user.plan, 'free');
  });

  test('the session cookie is HttpOnly, SameSite and host-wide', async () => {
    const response = await t
      .client()
      .post('/api/auth/signup', { email: 'cookie@example.com', password: 'long enough password' });
    const cookie = response.headers.get('set-cookie') ?? '';
    assert.match(cookie, /^claw_session=[A-Za-z0-9_-]{43};/);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    assert.match(cookie, /Path=\//);
  });

  test('a duplicate email is 409, whatever its case', async () => {
    await t.signUp('dup@example.com');
    const again = await t
      .client()
      .post('/api/auth/signup', { email: 'DUP@example.com', password: 'another long password' });
    assert.equal(again.status, 409);
    assert.equal(again.json.error.code, 'auth.email_taken');
  });

  test('bad credentials get one generic 401 for unknown email and wrong password alike', async () => {
    const { email } = await t.signUp();
    const wrong = await t.client().post('/api/auth/login', { email, password: 'not the password at all' });
    const unknown = await t
      .client()
      .post('/api/auth/login', { email: 'nobody@example.com', password: 'whatever it is' });
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, 401);
    assert.equal(wrong.json.error.message, unknown.json.error.message);
    assert.equal(wrong.json.error.code, 'auth.invalid_credentials');
  });

  test('login issues a new token and ends the presented one (session fixation)', async () => {
    const { client, email, password } = await t.signUp();
    const before = client.cookie;
    const login = await client.post('/api/auth/login', { email, password });
    assert.equal(login.status, 200);
    assert.notEqual(client.cookie, before);
    const stale = t.client();
    stale.cookie = before;
    assert.equal((await stale.get('/api/me')).status, 401);
  });

  test('an attacker-chosen cookie value is never adopted', async () => {
    const { email, password } = await t.signUp();
    const victim = t.client();
    victim.cookie = 'claw_session=attacker-planted-value-0000000000000000000000';
    await victim.post('/api/auth/login', { email, password });
    assert.notEqual(victim.cookie, 'claw_session=attacker-planted-value-0000000000000000000000');
    const attacker = t.client();
    attacker.cookie = 'claw_session=attacker-planted-value-0000000000000000000000';
    assert.equal((await attacker.get('/api/me')).status, 401);
  });
});

describe('sessions end', () => {
  test('logout ends the session on the server, not only in the browser', async () => {
    const { client } = await t.signUp();
    const token = client.cookie;
    assert.equal((await client.post('/api/auth/logout')).status, 204);
    const replay = t.client();
    replay.cookie = token;
    assert.equal((await replay.get('/api/me')).status, 401);
  });

  test('logout-all ends every session of the account', async () => {
    const { client, email, password } = await t.signUp();
    const other = t.client();
    await other.post('/api/auth/login', { email, password });
    assert.equal((await client.post('/api/auth/logout-all')).status, 204);
    assert.equal((await other.get('/api/me')).status, 401);
    assert.equal((await client.get('/api/me')).status, 401);
  });

  test('an idle session is refused after the idle limit', async () => {
    const { client, id } = await t.signUp();
    await t.database.query(
      `update sessions set last_seen_at = now() - interval '31 minutes' where user_id = $1`,
      [id],
    );
    assert.equal((await client.get('/api/me')).status, 401);
  });

  test('a session past its absolute end is refused even when active', async () => {
    const { client, id } = await t.signUp();
    await t.database.query(
      `update sessions set expires_at = now() - interval '1 second' where user_id = $1`,
      [id],
    );
    assert.equal((await client.get('/api/me')).status, 401);
  });

  test('tokens are stored only as hashes', async () => {
    const { client, id } = await t.signUp();
    const token = (client.cookie ?? '').split('=')[1] ?? '';
    const rows = await t.database.query<{ hex: string }>(
      `select encode(token_hash, 'hex') as hex from sessions where user_id = $1`,
      [id],
    );
    assert.equal(rows.length, 1);
    const dump = JSON.stringify(await t.database.query('select * from sessions'));
    assert.ok(!dump.includes(token));
  });
});

describe('CSRF defence', () => {
  test('a state-changing request without Origin is refused', async () => {
    const { client } = await t.signUp();
    const response = await fetch(new URL('/api/auth/logout-all', t.plane.url), {
      method: 'POST',
      headers: { cookie: client.cookie ?? '', 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(response.status, 403);
    assert.equal((await client.get('/api/me')).status, 200);
  });

  test('a foreign Origin is refused', async () => {
    const { client } = await t.signUp();
    const response = await client.post('/api/auth/logout-all', {}, { origin: 'https://evil.example' });
    assert.equal(response.status, 403);
    assert.equal(response.json.error.code, 'csrf.rejected');
    assert.equal((await client.get('/api/me')).status, 200);
  });

  test('Sec-Fetch-Site cross-site is refused even with a matching Origin', async () => {
    const { client } = await t.signUp();
    const response = await client.post('/api/auth/logout-all', {}, { 'sec-fetch-site': 'cross-site' });
    assert.equal(response.status, 403);
  });

  test('a form-encoded (simple) request is refused', async () => {
    const { client } = await t.signUp();
    const response = await client.post('/api/auth/logout-all', 'a=b', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    assert.equal(response.status, 415);
    assert.equal((await client.get('/api/me')).status, 200);
  });
});

describe('errors', () => {
  test('malformed JSON is 400 with the error shape', async () => {
    const response = await t.client().post('/api/auth/login', '{"email":');
    assert.equal(response.status, 400);
    assert.equal(response.json.error.code, 'request.malformed_json');
    assert.match(response.json.error.requestId, /^[0-9a-f-]{36}$/);
    assert.equal(response.headers.get('x-request-id'), response.json.error.requestId);
  });

  test('a schema violation is 400 naming the field', async () => {
    const response = await t
      .client()
      .post('/api/auth/signup', { email: 'short@example.com', password: 'short' });
    assert.equal(response.status, 400);
    assert.equal(response.json.error.code, 'request.invalid');
    assert.equal(response.json.error.field, 'password');
  });

  test('a body over the limit is 413 and creates nothing', async () => {
    const email = 'big@example.com';
    const response = await t.client().post('/api/auth/signup', { email, password: 'x'.repeat(100_000) });
    assert.equal(response.status, 413);
    assert.equal(response.json.error.code, 'request.too_large');
    const rows = await t.database.query(`select 1 from users where email = $1`, [email]);
    assert.equal(rows.length, 0);
  });

  test('an unknown API route is 404 with the error shape', async () => {
    const response = await t.client().get('/api/no/such/route');
    assert.equal(response.status, 404);
    assert.equal(response.json.error.code, 'not_found');
  });

  test('a private route without a session is 401', async () => {
    const response = await t.client().get('/api/me');
    assert.equal(response.status, 401);
    assert.equal(response.json.error.code, 'auth.required');
  });
});

describe('security headers', () => {
  test('API responses carry CSP, frame-ancestors none, nosniff and a referrer policy', async () => {
    const response = await t.client().get('/healthz');
    assert.equal(response.status, 200);
    const csp = response.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
  });
});
