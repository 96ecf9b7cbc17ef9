import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestPlane, type TestPlane } from '../test-support.ts';

let t: TestPlane;
before(async () => {
  t = await startTestPlane();
});
after(() => t.close());

describe('password change', () => {
  test('ends every other session, renews this one, and swaps the password', async () => {
    const { client, email, password } = await t.signUp();
    const other = t.client();
    await other.post('/api/auth/login', { email, password });
    const oldToken = client.cookie;
    const newPassword = 'a brand new long password';
    const changed = await client.post('/api/me/password', { currentPassword: password, newPassword });
    assert.equal(changed.status, 204);
    assert.notEqual(client.cookie, oldToken);
    assert.equal((await client.get('/api/me')).status, 200);
    assert.equal((await other.get('/api/me')).status, 401);
    const replay = t.client();
    replay.cookie = oldToken;
    assert.equal((await replay.get('/api/me')).status, 401);
    assert.equal((await t.client().post('/api/auth/login', { email, password })).status, 401);
    assert.equal((await t.client().post('/api/auth/login', { email, password: newPassword })).status, 200);
  });

  test('a wrong current password is refused, naming the field, and changes nothing', async () => {
    const { client, email, password } = await t.signUp();
    const response = await client.post('/api/me/password', {
      currentPassword: 'wrong wrong wrong',
      newPassword: 'another long one!',
    });
    assert.equal(response.status, 401);
    assert.equal(response.json.error.field, 'currentPassword');
    assert.equal((await t.client().post('/api/auth/login', { email, password })).status, 200);
  });
});

describe('account deletion', () => {
  test('needs the password', async () => {
    const { client } = await t.signUp();
    assert.equal((await client.delete('/api/me', { password: 'not my password' })).status, 401);
    assert.equal((await client.get('/api/me')).status, 200);
  });

  test('deletes the account and every row that belongs to it', async () => {
    const { client, id, email, password } = await t.signUp();
    await t.database.query(
      `insert into instances (user_id, name, provider, status) values ($1, 'i', 'adopted', 'ready')`,
      [id],
    );
    await t.database.query(
      `insert into credentials (user_id, provider, label) values ($1, 'digitalocean', 'l')`,
      [id],
    );
    assert.equal((await client.delete('/api/me', { password })).status, 204);
    for (const table of ['users', 'sessions', 'instances', 'credentials', 'audit_log']) {
      const column = table === 'users' ? 'id' : 'user_id';
      const rows = await t.database.query(`select 1 from ${table} where ${column} = $1`, [id]);
      assert.equal(rows.length, 0, `${table} still holds rows of the deleted user`);
    }
    assert.equal((await client.get('/api/me')).status, 401);
    assert.equal((await t.client().post('/api/auth/login', { email, password })).status, 401);
  });
});

describe('activity (audit log)', () => {
  test('lists own events newest first, paginated, with coarse client info', async () => {
    const { client, email, password } = await t.signUp();
    await client.post('/api/auth/login', { email, password: 'a wrong password' });
    await client.post('/api/auth/login', { email, password });
    const first = await client.get('/api/me/audit?limit=2', {
      'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0.1 Safari/537.36',
    });
    assert.equal(first.status, 200);
    assert.deepEqual(
      first.json.events.map((e: { event: string; outcome: string }) => `${e.event}:${e.outcome}`),
      ['auth.login:ok', 'auth.login:failed'],
    );
    assert.ok(first.json.nextCursor);
    const second = await client.get(`/api/me/audit?limit=2&cursor=${first.json.nextCursor}`);
    assert.deepEqual(
      second.json.events.map((e: { event: string }) => e.event),
      ['auth.signup'],
    );
    assert.equal(second.json.nextCursor, null);
    const ip = first.json.events[0].client.ip;
    assert.ok(ip === null || /\/(24|48)$/.test(ip), `client ip is coarse: ${ip}`);
  });

  test("another user's events are unreachable, even with their cursor", async () => {
    const alice = await t.signUp();
    const bob = await t.signUp();
    // A cursor past every id would show anyone's events if the query did not filter by user.
    const page = await bob.client.get('/api/me/audit?limit=100&cursor=999999999999');
    assert.equal(page.status, 200);
    const ids = new Set(page.json.events.map((e: { id: string }) => e.id));
    const aliceRows = await t.database.query<{ id: string }>(
      'select id::text as id from audit_log where user_id = $1',
      [alice.id],
    );
    assert.ok(aliceRows.length > 0);
    assert.ok(aliceRows.every((row) => !ids.has(row.id)));
    assert.ok(page.json.events.length > 0);
  });
});
