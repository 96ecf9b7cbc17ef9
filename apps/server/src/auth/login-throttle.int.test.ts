import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestPlane, type TestPlane } from '../test-support.ts';

let t: TestPlane;
before(async () => {
  t = await startTestPlane({ CLAW_LOGIN_MAX_FAILURES_PER_ACCOUNT: '3', CLAW_LOGIN_MAX_FAILURES_PER_IP: '8' });
});
after(() => t.close());

test('a login flood on one account is throttled, and the right password does not get through', async () => {
  const { email, password } = await t.signUp();
  const attacker = t.client();
  for (let i = 0; i < 3; i++) {
    assert.equal(
      (await attacker.post('/api/auth/login', { email, password: `guess number ${i}` })).status,
      401,
    );
  }
  const blocked = await attacker.post('/api/auth/login', { email, password });
  assert.equal(blocked.status, 429);
  assert.equal(blocked.json.error.code, 'auth.throttled');
  assert.ok(Number(blocked.headers.get('retry-after')) > 0);
});

test('the window ends: after it, the right password works and clears the counter', async () => {
  const { email, password } = await t.signUp();
  const client = t.client();
  for (let i = 0; i < 3; i++) await client.post('/api/auth/login', { email, password: `guess number ${i}` });
  assert.equal((await client.post('/api/auth/login', { email, password })).status, 429);
  await t.database.query(`update login_throttle set window_started_at = now() - interval '16 minutes'`);
  assert.equal((await client.post('/api/auth/login', { email, password })).status, 200);
});

test('spraying many accounts from one address is throttled per address', async () => {
  await t.database.query(`delete from login_throttle`);
  const sprayer = t.client();
  const statuses: number[] = [];
  for (let i = 0; i < 10; i++) {
    const response = await sprayer.post('/api/auth/login', {
      email: `victim${i}@example.com`,
      password: 'Summer2026!!',
    });
    statuses.push(response.status);
  }
  assert.deepEqual(statuses.slice(0, 8), Array(8).fill(401));
  assert.deepEqual(statuses.slice(8), [429, 429]);
});

test('no email of an unknown account is stored by the throttle', async () => {
  await t
    .client()
    .post('/api/auth/login', { email: 'never-registered@example.com', password: 'whatever password' });
  const rows = await t.database.query<{ key: string }>('select key from login_throttle');
  assert.ok(rows.every((row) => !row.key.includes('never-registered')));
});
