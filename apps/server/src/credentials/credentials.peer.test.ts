// Cloud connections end to end: the API stores only ciphertext and verifies against real emulators —
// Prism serving DigitalOcean's and Hetzner's official specs, moto for AWS STS/EC2.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { dumpDatabase } from '@claw/testing';
import {
  locateMoto,
  locatePrism,
  locateSpec,
  skipUnlessAvailable,
  startMoto,
  startPrism,
  type MotoPeer,
  type PrismPeer,
} from '@claw/testing/cloud-peers';
import { hashPassword } from '../auth/password.ts';
import { startTestPlane, type TestPlane } from '../test-support.ts';

const canary = `dop_v1_${crypto.randomUUID().replaceAll('-', '')}`;
const hetznerCanary = `hz${crypto.randomUUID().replaceAll('-', '')}`;
const principal = 'arn:aws:iam::123456789012:role/claw-cloud-platform';

let skip: string | false = false;
let doPrism: PrismPeer | undefined;
let hzPrism: PrismPeer | undefined;
let moto: MotoPeer | undefined;
let t: TestPlane;

before(async () => {
  const doSpec = locateSpec('digitalocean');
  const hzSpec = locateSpec('hetzner');
  skip = skipUnlessAvailable(doSpec, hzSpec, locatePrism(), locateMoto());
  if (skip) return;
  [doPrism, hzPrism, moto] = await Promise.all([
    startPrism({ spec: doSpec.ok ? doSpec.path : '' }),
    startPrism({ spec: hzSpec.ok ? hzSpec.path : '' }),
    startMoto(),
  ]);
  // Our own (platform) identity for sts:AssumeRole, as the AWS SDK reads it from the environment.
  process.env.AWS_ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
  process.env.AWS_SECRET_ACCESS_KEY = 'platform-dummy';
  t = await startTestPlane({
    CLAW_DIGITALOCEAN_API_URL: doPrism.url,
    CLAW_HETZNER_API_URL: hzPrism.url,
    CLAW_AWS_PRINCIPAL_ARN: principal,
    CLAW_AWS_ENDPOINT: moto.url,
    CLAW_AWS_REGION: 'eu-central-1',
    CLAW_STEP_UP_MINUTES: '10',
  });
});
after(async () => {
  await t?.close();
  await Promise.allSettled([doPrism?.stop(), hzPrism?.stop(), moto?.stop()]);
});

function needsPeers(ctx: TestContext): boolean {
  if (skip) ctx.skip(skip);
  return !skip;
}

describe('connecting clouds', () => {
  test('a DigitalOcean token is stored encrypted, verified, and never returned', async (ctx) => {
    if (!needsPeers(ctx)) return;
    const { client } = await t.signUp();
    const added = await client.post('/api/credentials', {
      provider: 'digitalocean',
      label: 'personal',
      token: canary,
    });
    assert.equal(added.status, 201, JSON.stringify(added.json));
    assert.equal(added.json.credential.verification.status, 'verified', JSON.stringify(added.json));
    assert.equal(added.json.credential.last4, canary.slice(-4));
    const listed = await client.get('/api/credentials');
    assert.equal(listed.json.credentials.length, 1);
    assert.ok(!listed.text.includes(canary) && !added.text.includes(canary));
    const again = await client.post(`/api/credentials/${added.json.credential.id}/verify`);
    assert.equal(again.json.credential.verification.status, 'verified');
  });

  test('a Hetzner project token is verified with a read and a write probe', async (ctx) => {
    if (!needsPeers(ctx)) return;
    const { client } = await t.signUp();
    const added = await client.post('/api/credentials', {
      provider: 'hetzner',
      label: 'project',
      token: hetznerCanary,
    });
    assert.equal(added.status, 201);
    assert.equal(added.json.credential.verification.status, 'verified', JSON.stringify(added.json));
  });

  test('what the user typed is kept when verification fails, marked with the reason', async (ctx) => {
    if (!needsPeers(ctx)) return;
    const offline = await startTestPlane({ CLAW_DIGITALOCEAN_API_URL: 'http://127.0.0.1:9' });
    try {
      const { client } = await offline.signUp();
      const added = await client.post('/api/credentials', {
        provider: 'digitalocean',
        label: 'later',
        token: 'dop_v1_unreachable0000',
      });
      assert.equal(added.status, 201);
      assert.equal(added.json.credential.verification.status, 'failed');
      assert.match(added.json.credential.verification.reason, /\w/);
      assert.equal((await client.get('/api/credentials')).json.credentials.length, 1);
    } finally {
      await offline.close();
    }
  });

  test('AWS: a per-user ExternalId, the policies to paste, and a role verified by AssumeRole + DryRun', async (ctx) => {
    if (!needsPeers(ctx)) return;
    const alice = await t.signUp();
    const bob = await t.signUp();
    const setup = (await alice.client.get('/api/credentials/setup')).json;
    assert.equal(setup.aws.available, true);
    assert.ok(setup.aws.externalId.length >= 22);
    assert.equal(
      (await alice.client.get('/api/credentials/setup')).json.aws.externalId,
      setup.aws.externalId,
      'stable',
    );
    assert.notEqual(
      (await bob.client.get('/api/credentials/setup')).json.aws.externalId,
      setup.aws.externalId,
    );
    assert.match(JSON.stringify(setup.aws.trustPolicy), new RegExp(setup.aws.externalId));
    assert.match(JSON.stringify(setup.aws.trustPolicy), /sts:ExternalId/);
    assert.ok(setup.digitalocean.scopes.includes('droplet:create'));
    const added = await alice.client.post('/api/credentials', {
      provider: 'aws',
      label: 'prod',
      roleArn: 'arn:aws:iam::111122223333:role/ClawCloudProvisioning',
    });
    assert.equal(added.status, 201, JSON.stringify(added.json));
    assert.equal(added.json.credential.verification.status, 'verified', JSON.stringify(added.json));
  });

  test('GCP takes a Workload Identity configuration and refuses a service-account key', async (ctx) => {
    if (!needsPeers(ctx)) return;
    const { client } = await t.signUp();
    const key = await client.post('/api/credentials', {
      provider: 'gcp',
      label: 'key',
      workloadIdentity: { type: 'service_account', private_key: '-----BEGIN PRIVATE KEY-----x' },
    });
    assert.equal(key.status, 400);
    assert.equal((await t.database.query(`select 1 from credentials where label = 'key'`)).length, 0);
  });
});

describe('DigitalOcean OAuth', () => {
  test('authorisation code flow: state bound to the user, tokens stored encrypted, refresh token never shown', async (ctx) => {
    if (!needsPeers(ctx) || !doPrism) return;
    const { OAuth2Server } = await import('oauth2-mock-server');
    const server = new OAuth2Server();
    await server.issuer.keys.generate('RS256');
    await server.start(0, '127.0.0.1');
    const refreshCanary = `refresh-${crypto.randomUUID()}`;
    server.service.on('beforeResponse', (res: { body: Record<string, unknown> }) => {
      if ('access_token' in res.body) res.body.refresh_token = refreshCanary;
    });
    const plane = await startTestPlane({
      CLAW_DIGITALOCEAN_API_URL: doPrism.url,
      CLAW_DO_OAUTH_CLIENT_ID: 'claw-test',
      CLAW_DO_OAUTH_CLIENT_SECRET: 'client-secret-canary',
      CLAW_DO_OAUTH_AUTHORIZE_URL: `${server.issuer.url}/authorize`,
      CLAW_DO_OAUTH_TOKEN_URL: `${server.issuer.url}/token`,
    });
    try {
      const alice = await plane.signUp();
      const bob = await plane.signUp();
      const started = await alice.client.post('/api/credentials/digitalocean/oauth', { label: 'oauth' });
      assert.equal(started.status, 201, JSON.stringify(started.json));
      const authorize = await fetch(started.json.authorizeUrl, { redirect: 'manual' });
      const callback = new URL(authorize.headers.get('location') ?? '');
      assert.equal(callback.pathname, '/api/credentials/digitalocean/oauth/callback');

      // Bob cannot complete Alice's authorisation with her code and state.
      const stolen = await bob.client.get(callback.pathname + callback.search);
      assert.equal(stolen.status, 303);
      assert.match(stolen.headers.get('location') ?? '', /oauth=expired/);

      const again = await alice.client.post('/api/credentials/digitalocean/oauth', { label: 'oauth' });
      const second = new URL(
        (await fetch(again.json.authorizeUrl, { redirect: 'manual' })).headers.get('location') ?? '',
      );
      const done = await alice.client.get(second.pathname + second.search);
      assert.equal(done.status, 303);
      assert.match(done.headers.get('location') ?? '', /connected=/);
      const listed = await alice.client.get('/api/credentials');
      assert.equal(listed.json.credentials.length, 1);
      assert.ok(!(await dumpDatabase(plane.database)).includes(refreshCanary));
      assert.ok(!listed.text.includes(refreshCanary));
      assert.ok(!plane.log.lines.join('\n').includes(refreshCanary));
      // The state is single use.
      assert.match(
        (await alice.client.get(second.pathname + second.search)).headers.get('location') ?? '',
        /oauth=expired/,
      );
    } finally {
      await plane.close();
      await server.stop();
    }
  });
});

describe('guards', () => {
  test('adding and deleting need a recent password proof (step-up)', async (ctx) => {
    if (!needsPeers(ctx)) return;
    const { client, id, password } = await t.signUp();
    await t.database.query(
      `update sessions set reauthenticated_at = now() - interval '11 minutes' where user_id = $1`,
      [id],
    );
    const refused = await client.post('/api/credentials', {
      provider: 'hetzner',
      label: 'x',
      token: 'hetzner-token-0001',
    });
    assert.equal(refused.status, 401);
    assert.equal(refused.json.error.code, 'auth.reauthentication_required');
    assert.equal(
      (await client.post('/api/auth/reauthenticate', { password: 'wrong password!' })).status,
      401,
    );
    assert.equal((await client.post('/api/auth/reauthenticate', { password })).status, 204);
    const added = await client.post('/api/credentials', {
      provider: 'hetzner',
      label: 'x',
      token: 'hetzner-token-0001',
    });
    assert.equal(added.status, 201);
    await t.database.query(
      `update sessions set reauthenticated_at = now() - interval '11 minutes' where user_id = $1`,
      [id],
    );
    assert.equal((await client.delete(`/api/credentials/${added.json.credential.id}`)).status, 401);
    await client.post('/api/auth/reauthenticate', { password });
    assert.equal((await client.delete(`/api/credentials/${added.json.credential.id}`)).status, 204);
    assert.equal(
      (await t.database.query('select 1 from credentials where id = $1', [added.json.credential.id])).length,
      0,
    );
  });

  test("another user's credential ids are unreachable", async (ctx) => {
    if (!needsPeers(ctx)) return;
    const alice = await t.signUp();
    const bob = await t.signUp();
    const added = await alice.client.post('/api/credentials', {
      provider: 'hetzner',
      label: 'mine',
      token: 'hetzner-token-0002',
    });
    const id = added.json.credential.id;
    assert.equal((await bob.client.post(`/api/credentials/${id}/verify`)).status, 404);
    assert.equal((await bob.client.delete(`/api/credentials/${id}`)).status, 404);
    assert.equal((await bob.client.get('/api/credentials')).json.credentials.length, 0);
  });

  test('a ciphertext moved to another row does not decrypt', async (ctx) => {
    if (!needsPeers(ctx)) return;
    const { client } = await t.signUp();
    const a = (
      await client.post('/api/credentials', { provider: 'hetzner', label: 'a', token: 'hetzner-token-000a' })
    ).json.credential.id;
    const b = (
      await client.post('/api/credentials', { provider: 'hetzner', label: 'b', token: 'hetzner-token-000b' })
    ).json.credential.id;
    await t.database.query(
      `update credentials set ciphertext = (select ciphertext from credentials where id = $1) where id = $2`,
      [a, b],
    );
    const moved = await client.post(`/api/credentials/${b}/verify`);
    assert.equal(moved.status, 500);
    assert.ok(!moved.text.includes('hetzner-token'));
  });
});

describe('password-protected credentials', () => {
  test('usable in sessions that proved the password; survive a password change; locked after a reset', async (ctx) => {
    if (!needsPeers(ctx)) return;
    const { client, email, password, id } = await t.signUp();
    const added = await client.post('/api/credentials', {
      provider: 'hetzner',
      label: 'protected',
      token: 'hetzner-token-0003',
      passwordProtected: true,
      password,
    });
    assert.equal(added.status, 201, JSON.stringify(added.json));
    assert.equal(added.json.credential.passwordProtected, true);
    const credentialId = added.json.credential.id;
    const other = t.client();
    await other.post('/api/auth/login', { email, password });
    assert.equal((await other.post(`/api/credentials/${credentialId}/verify`)).status, 200);

    const newPassword = 'a different long password';
    assert.equal(
      (await other.post('/api/me/password', { currentPassword: password, newPassword })).status,
      204,
    );
    assert.equal((await other.post(`/api/credentials/${credentialId}/verify`)).status, 200);

    // A reset (the password replaced without knowing the old one) cannot carry the protected key over.
    const resetPassword = 'the password after a reset';
    await t.database.query(`update users set password_hash = $2 where id = $1`, [
      id,
      await hashPassword(resetPassword),
    ]);
    const relogin = t.client();
    assert.equal((await relogin.post('/api/auth/login', { email, password: resetPassword })).status, 200);
    const locked = await relogin.post(`/api/credentials/${credentialId}/verify`);
    assert.equal(locked.status, 423);
    assert.equal(locked.json.error.code, 'credential.locked');
  });
});

describe('a bucket of ciphertext only', () => {
  test('the tokens are in no table, no log line and no file we wrote', async (ctx) => {
    if (!needsPeers(ctx)) return;
    const dump = await dumpDatabase(t.database);
    for (const secret of [canary, hetznerCanary, 'hetzner-token-0003']) {
      assert.ok(!dump.includes(secret), 'database');
      assert.ok(!t.log.lines.join('\n').includes(secret), 'log');
    }
    // Nor in any file the control plane wrote (its data directory: key ring, embedded database when used).
    for (const entry of await readdir(t.plane.config.dataDir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const content = await readFile(join(entry.parentPath, entry.name));
      for (const secret of [canary, hetznerCanary]) assert.ok(!content.includes(secret), entry.name);
    }
  });
});
