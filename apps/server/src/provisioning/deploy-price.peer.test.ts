// Deploy keeps the monthly price the user was shown (the provider's own, from its size list) and refuses a
// size or region the cloud does not offer, on the DigitalOcean fake behind `prism proxy --errors`. The
// instance never needs to become ready here: the price is recorded when it is requested.
import assert from 'node:assert/strict';
import { after, before, test, type TestContext } from 'node:test';
import {
  emulatorAvailability,
  skipUnlessAvailable,
  provisioningEnv,
  startEmulatedCloud,
  type EmulatedCloud,
} from '@claw/testing/cloud-peers';
import { startTestPlane, type TestPlane } from '../test-support.ts';

let skip: string | false = false;
let cloud: EmulatedCloud;
let t: TestPlane;
let user: Awaited<ReturnType<TestPlane['signUp']>>;
let credentialId: string;

before(async () => {
  skip = skipUnlessAvailable(...emulatorAvailability('digitalocean'));
  if (skip) return;
  cloud = await startEmulatedCloud('digitalocean');
  t = await startTestPlane(provisioningEnv(cloud));
  user = await t.signUp();
  const added = await user.client.post('/api/credentials', cloud.connection('emulated'));
  assert.equal(added.status, 201, JSON.stringify(added.json));
  credentialId = added.json.credential.id;
});
after(async () => {
  await t?.close();
  await cloud?.stop();
});

function needsPeers(ctx: TestContext): boolean {
  if (skip) ctx.skip(skip);
  return !skip;
}

const deploy = (region: string, size: string) =>
  user.client.post('/api/instances', { name: 'priced', credentialId, region, size });

test('a size the cloud does not offer, or not in that region, is refused naming the field; nothing is created', async (ctx) => {
  if (!needsPeers(ctx)) return;
  const unknown = await deploy(cloud.region, 's-64vcpu-unknown');
  assert.equal(unknown.status, 400, JSON.stringify(unknown.json));
  assert.equal(unknown.json.error.code, 'request.invalid');
  assert.equal(unknown.json.error.field, 'size');
  assert.doesNotMatch(unknown.json.error.message, /s-64vcpu-unknown/, 'the value is not echoed');

  // The fake offers every size in nyc3, fra1 and ams3 only.
  const elsewhere = await deploy('sgp1', cloud.size);
  assert.equal(elsewhere.status, 400, JSON.stringify(elsewhere.json));
  assert.equal(elsewhere.json.error.field, 'region');

  assert.deepEqual((await user.client.get('/api/instances')).json.instances, []);
});

test('deploy keeps the monthly price the wizard showed, in cents, and the API returns it', async (ctx) => {
  if (!needsPeers(ctx)) return;
  const options = await user.client.get(`/api/credentials/${credentialId}/options`);
  const shown = options.json.sizes.find((s: { slug: string }) => s.slug === cloud.size);
  assert.equal(shown?.priceMonthly, 6, 'the fake prices s-1vcpu-1gb at $6 a month');

  const deployed = await deploy(cloud.region, cloud.size);
  assert.equal(deployed.status, 202, JSON.stringify(deployed.json));
  const id = deployed.json.instance.id as string;
  const expected = { amount: 6, currency: 'USD', estimate: false };
  assert.deepEqual((await user.client.get(`/api/instances/${id}`)).json.instance.priceMonthly, expected);
  const listed = (await user.client.get('/api/instances')).json.instances;
  assert.deepEqual(
    listed.map((i: { id: string; priceMonthly: unknown }) => [i.id, i.priceMonthly]),
    [[id, expected]],
  );
  const [row] = await t.database.query<{ cents: number; currency: string; estimate: boolean }>(
    `select price_monthly_cents as cents, price_currency as currency, price_is_estimate as estimate
       from instances where id = $1`,
    [id],
  );
  assert.deepEqual(row, { cents: 600, currency: 'USD', estimate: false });
});
