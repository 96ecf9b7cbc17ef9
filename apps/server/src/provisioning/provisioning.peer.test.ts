// The provisioning workflow end to end on emulated DigitalOcean: a stateful fake checked against the official
// spec by `prism proxy --errors`, pg-boss on the embedded database, and a real agent process playing the new
// server (its callback carries the registration code the fake received in the Droplet's user-data).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, test, type TestContext } from 'node:test';
import { startAgentProcess, type AgentProcess } from '@claw/testing';
import {
  deletesBySelector,
  locatePrism,
  locateSpec,
  skipUnlessAvailable,
  startDigitalOceanFake,
  type DigitalOceanFake,
} from '@claw/testing/cloud-peers';
import { startTestPlane, type TestPlane } from '../test-support.ts';

let skip: string | false = false;
let fake: DigitalOceanFake | undefined;
let agent: AgentProcess;
let t: TestPlane;
let user: Awaited<ReturnType<TestPlane['signUp']>>;
let credentialId: string;
let gateway: Server;

before(async () => {
  const spec = locateSpec('digitalocean');
  skip = skipUnlessAvailable(spec, locatePrism());
  if (skip) return;
  fake = await startDigitalOceanFake({ spec: spec.ok ? spec.path : '', publicIpv4: '127.0.0.1' });
  // The new server: a real agent, in front of a gateway that only answers its readiness probes (chat is not
  // what this file proves).
  gateway = createServer((_req, res) => res.end(JSON.stringify({ ready: true, version: '2026.9.6' })));
  await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  const gatewayUrl = `http://127.0.0.1:${(gateway.address() as { port: number }).port}`;
  agent = await startAgentProcess({ gatewayUrl, gatewayToken: 'unused-gateway-token' });
  t = await startTestPlane({
    CLAW_PUBLIC_URL: 'https://claw.test',
    CLAW_DIGITALOCEAN_API_URL: fake.url,
    CLAW_AGENT_PACKAGE: '@claw-cloud/agent@0.1.0',
    CLAW_AGENT_PACKAGE_INTEGRITY:
      'sha512-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==',
    CLAW_EGRESS_ADDRESSES: '198.51.100.7',
    CLAW_AGENT_ALLOW_PRIVATE_NETWORKS: 'true',
    CLAW_PROVISIONED_AGENT_PORT: new URL(agent.url).port,
    CLAW_PROVISION_POLL_MS: '100',
  });
  user = await t.signUp();
  await t.database.query(`update users set plan_id = 'pro' where id = $1`, [user.id]);
  const added = await user.client.post('/api/credentials', {
    provider: 'digitalocean',
    label: 'do',
    token: 'dop_v1_workflow00000000',
  });
  credentialId = added.json.credential.id;
});
after(async () => {
  await t?.close();
  await agent?.stop();
  await fake?.stop();
  gateway?.close();
});

function needsPeers(ctx: TestContext): boolean {
  if (skip) ctx.skip(skip);
  return !skip;
}

const statusOf = async (id: string) =>
  (await user.client.get(`/api/instances/${id}`)).json.instance.status as string;

async function waitForStatus(id: string, wanted: string, ms = 60_000): Promise<string> {
  const deadline = Date.now() + ms;
  let status = '';
  while (Date.now() < deadline) {
    status = await statusOf(id);
    if (status === wanted || status === 'failed') return status;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return status;
}

const ours = (id: string) =>
  [...(fake?.droplets.values() ?? [])].filter((d) => d.tags.includes(`claw-instance-${id}`));

test('regions and sizes come with monthly and hourly prices', async (ctx) => {
  if (!needsPeers(ctx)) return;
  const options = await user.client.get(`/api/credentials/${credentialId}/options`);
  assert.equal(options.status, 200, JSON.stringify(options.json));
  assert.ok(
    options.json.sizes.some(
      (s: { priceMonthly: number; priceHourly: number }) => s.priceMonthly > 0 && s.priceHourly > 0,
    ),
  );
  assert.ok(options.json.regions.length > 0);
});

test('the user can read exactly what will run on the server, with placeholders for its secrets', async (ctx) => {
  if (!needsPeers(ctx)) return;
  const preview = await user.client.get('/api/bootstrap/preview?provider=digitalocean');
  assert.equal(preview.status, 200);
  assert.match(preview.text, /^#cloud-config/);
  assert.match(preview.text, /<per-instance registration code>/);
});

test('deploy → creating → booting → registering → ready, through the agent callback; then destroy', async (ctx) => {
  if (!needsPeers(ctx) || !fake) return;
  // The provider loses the answer to the first create: the workflow must find the Droplet, not make a second.
  fake.inject('POST /v2/droplets', { kind: 'lose-response' });
  const deployed = await user.client.post('/api/instances', {
    name: 'mine',
    credentialId,
    region: 'fra1',
    size: 's-1vcpu-1gb',
  });
  assert.equal(deployed.status, 202, JSON.stringify(deployed.json));
  const id = deployed.json.instance.id as string;
  assert.equal(await waitForStatus(id, 'registering'), 'registering');
  assert.equal(ours(id).length, 1, 'exactly one Droplet for the instance');

  const droplet = ours(id)[0];
  const code = /"registrationCode": "([A-Za-z0-9_-]+)"/.exec(droplet?.userData ?? '')?.[1];
  assert.ok(code, 'the user-data carries the one-time registration code');
  const callback = (registrationCode: string) =>
    fetch(new URL('/api/agent/register', t.plane.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        instanceId: id,
        registrationCode,
        fingerprint: agent.fingerprint,
        adoptionCode: agent.registrationCode,
      }),
    });
  assert.equal((await callback('a-wrong-code-that-is-long-enough')).status, 401);
  assert.equal((await callback(code)).status, 200);
  assert.equal((await callback(code)).status, 401, 'the code is spent');
  assert.equal(await waitForStatus(id, 'ready'), 'ready', 'ready once the agent reports its gateway ready');
  const instance = (await user.client.get(`/api/instances/${id}`)).json.instance;
  assert.equal(instance.agentFingerprint, agent.fingerprint);
  assert.equal(instance.openclawVersion, '2026.9.6');

  const events = (
    await t.database.query<{ event: string }>(
      `select event from audit_log where instance_id = $1 order by id`,
      [id],
    )
  ).map((r) => r.event);
  assert.deepEqual(events.slice(0, 4), [
    'instance.requested',
    'instance.creating',
    'instance.booting',
    'instance.registering',
  ]);

  assert.equal((await user.client.post(`/api/instances/${id}/actions`, { action: 'destroy' })).status, 202);
  assert.equal(await waitForStatus(id, 'destroyed'), 'destroyed');
  assert.equal(ours(id).length, 0, 'the Droplet is gone');
  assert.deepEqual(deletesBySelector(fake.requests()), [], 'never a delete by tag');
});

test('job payloads carry ids and an action only', async (ctx) => {
  if (!needsPeers(ctx)) return;
  const rows = await t.database.query<{ data: Record<string, unknown> }>(
    `select data from pgboss.job where name = 'instance-provisioning'`,
  );
  assert.ok(rows.length > 0);
  for (const { data } of rows) assert.deepEqual(Object.keys(data).sort(), ['action', 'instanceId']);
});
