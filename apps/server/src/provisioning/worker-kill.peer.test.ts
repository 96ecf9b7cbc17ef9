// Issue #5: "Killing the worker (SIGKILL) at any step and restarting never yields a duplicate or orphaned
// VM". The control plane runs as its own process (`claw-cloud start`) on an embedded database in a temp
// directory, against the DigitalOcean fake behind `prism proxy --errors`; the test kills it with SIGKILL
// at a step, restarts it on the same data directory and watches the instance reach ready through a real
// agent's callback, with exactly one Droplet and no orphan left after the start-up reconcile.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test, type TestContext } from 'node:test';
import { openDatabase } from '@claw/db';
import {
  callBackAsNewServer,
  createHttpClient,
  registrationCodeIn,
  startAgentProcess,
  type AgentProcess,
  type HttpClient,
} from '@claw/testing';
import {
  deletesBySelector,
  locatePrism,
  locateSpec,
  skipUnlessAvailable,
  startDigitalOceanFake,
  type DigitalOceanFake,
} from '@claw/testing/cloud-peers';

const cli = fileURLToPath(new URL('../cli.ts', import.meta.url));
const PUBLIC_URL = 'https://claw.test';
// Each wait is bounded; a restart must not lean on pg-boss's heartbeat expiry (30 s + its 60 s supervisor).
const STEP_MS = 30_000;

let skip: string | false = false;
let fake: DigitalOceanFake | undefined;
let gateway: Server | undefined;
let dataDir = '';
let port = 0;
let plane: ChildProcess | undefined;
let output = '';
const agents: AgentProcess[] = [];

before(async () => {
  const spec = locateSpec('digitalocean');
  skip = skipUnlessAvailable(spec, locatePrism());
  if (skip) return;
  fake = await startDigitalOceanFake({ spec: spec.ok ? spec.path : '', publicIpv4: '127.0.0.1' });
  gateway = createHttpServer((_req, res) => res.end(JSON.stringify({ ready: true, version: '2026.9.6' })));
  await new Promise<void>((resolve) => gateway?.listen(0, '127.0.0.1', resolve));
  dataDir = await mkdtemp(join(tmpdir(), 'claw-worker-kill-'));
  port = await freePort();
});
after(async () => {
  await stopPlane('SIGTERM');
  for (const agent of agents) await agent.stop();
  await fake?.stop();
  gateway?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

function needsPeers(ctx: TestContext): boolean {
  if (skip) ctx.skip(skip);
  return !skip;
}

async function freePort(): Promise<number> {
  const probe = createTcpServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port: free } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return free;
}

/** A real agent playing the new server; each instance gets its own (its adoption code is single-use). */
async function newAgent(): Promise<AgentProcess> {
  const { port: gatewayPort } = gateway?.address() as { port: number };
  const agent = await startAgentProcess({
    gatewayUrl: `http://127.0.0.1:${gatewayPort}`,
    gatewayToken: 'unused-gateway-token',
  });
  agents.push(agent);
  return agent;
}

/** `claw-cloud start` on the shared data directory; the agent port is where the next instance's agent is. */
async function startPlane(agent: AgentProcess): Promise<void> {
  output = '';
  plane = spawn(process.execPath, [cli, 'start'], {
    env: {
      PATH: process.env.PATH ?? '',
      CLAW_HOST: '127.0.0.1',
      CLAW_PORT: String(port),
      CLAW_DATA_DIR: dataDir,
      CLAW_LOG_LEVEL: 'info',
      CLAW_PUBLIC_URL: PUBLIC_URL,
      CLAW_DIGITALOCEAN_API_URL: fake?.url ?? '',
      CLAW_AGENT_PACKAGE: '@claw-cloud/agent@0.1.0',
      CLAW_AGENT_PACKAGE_INTEGRITY: `sha512-${'A'.repeat(86)}==`,
      CLAW_EGRESS_ADDRESSES: '198.51.100.7',
      CLAW_AGENT_ALLOW_PRIVATE_NETWORKS: 'true',
      CLAW_PROVISIONED_AGENT_PORT: new URL(agent.url).port,
      CLAW_PROVISION_POLL_MS: '100',
      CLAW_RECONCILE_MS: '2000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  plane.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  plane.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  await until(() => output.includes('Claw Cloud is running at'), 'the control plane to start', 60_000);
}

async function stopPlane(signal: NodeJS.Signals): Promise<void> {
  const child = plane;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  await exited;
}

async function until(check: () => boolean | Promise<boolean>, what: string, ms = STEP_MS): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (plane?.exitCode !== null && plane?.signalCode === null) {
      assert.fail(`the control plane exited while waiting for ${what}:\n${output.slice(-3000)}`);
    }
    if (Date.now() > deadline) assert.fail(`no ${what} within ${ms} ms:\n${output.slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const dropletsOf = (instanceId: string) =>
  [...(fake?.droplets.values() ?? [])].filter((d) => d.tags.includes(`claw-instance-${instanceId}`));

/** Droplets carrying our tag whose instance is not one of `instances`: none may survive a reconcile. */
const orphans = (instances: string[]) =>
  [...(fake?.droplets.values() ?? [])].filter(
    (d) => d.tags.includes('claw-cloud') && !instances.some((id) => d.tags.includes(`claw-instance-${id}`)),
  );

/** A fresh user (the free plan allows one instance) with a DigitalOcean connection. */
async function newUser(): Promise<{ client: HttpClient; credentialId: string }> {
  const client = createHttpClient(`http://127.0.0.1:${port}`, { origin: PUBLIC_URL });
  const email = `kill-${crypto.randomUUID()}@example.com`;
  const signup = await client.post('/api/auth/signup', { email, password: 'correct horse battery staple' });
  assert.equal(signup.status, 201);
  const added = await client.post('/api/credentials', {
    provider: 'digitalocean',
    label: 'do',
    token: 'dop_v1_workerkill0000000',
  });
  assert.equal(added.status, 201, JSON.stringify(added.json));
  return { client, credentialId: added.json.credential.id as string };
}

async function deploy(user: { client: HttpClient; credentialId: string }): Promise<string> {
  const deployed = await user.client.post('/api/instances', {
    name: 'mine',
    credentialId: user.credentialId,
    region: 'fra1',
    size: 's-1vcpu-1gb',
  });
  assert.equal(deployed.status, 202, JSON.stringify(deployed.json));
  return deployed.json.instance.id as string;
}

const statusOf = async (client: HttpClient, id: string) =>
  (await client.get(`/api/instances/${id}`)).json.instance.status as string;

/** The agent calls back with the code the Droplet's user-data carries; ready follows. */
async function register(client: HttpClient, id: string, agent: AgentProcess): Promise<void> {
  await until(async () => (await statusOf(client, id)) === 'registering', 'registering');
  const [droplet] = dropletsOf(id);
  const code = registrationCodeIn(droplet?.userData);
  assert.ok(code, 'the user-data carries the one-time registration code');
  const callback = await callBackAsNewServer(`http://127.0.0.1:${port}`, id, code, agent);
  assert.equal(callback.status, 200, await callback.text());
  await until(async () => (await statusOf(client, id)) === 'ready', 'ready');
}

/** The embedded database of the killed process, read while no process holds it. */
async function rowOf(id: string) {
  const database = await openDatabase({ dataDir });
  try {
    const [row] = await database.query<{ status: string; cloud_resource_id: string | null }>(
      `select status, cloud_resource_id from instances where id = $1`,
      [id],
    );
    return row;
  } finally {
    await database.close();
  }
}

const instances: string[] = [];

test('killed between the Droplet create and its commit: the restart adopts it, one Droplet, no orphan', async (ctx) => {
  if (!needsPeers(ctx) || !fake) return;
  const agent = await newAgent();
  await startPlane(agent);
  const user = await newUser();
  // The answer to the create is lost too, so the worker sits in its retry back-off while it is killed:
  // the Droplet exists and the database has not recorded it.
  fake.inject('POST /v2/droplets', { kind: 'lose-response' });
  const seen = () => fake?.requests().some((r) => r.route === 'POST /v2/droplets') ?? false;
  const id = await deploy(user);
  instances.push(id);
  await until(seen, 'Droplet create');
  await stopPlane('SIGKILL');

  assert.equal(dropletsOf(id).length, 1, 'the Droplet was made');
  assert.deepEqual(await rowOf(id), { status: 'creating', cloud_resource_id: null }, 'and not committed');
  // Someone (an older crash, another control plane) left a Droplet with our tags that no instance wants.
  const planted = fake.addDroplet({
    name: 'orphan',
    tags: ['claw-cloud', `claw-instance-${crypto.randomUUID()}`],
  });

  const restarted = Date.now();
  await startPlane(agent);
  await register(user.client, id, agent);
  await until(() => !fake?.droplets.has(planted), 'orphan deleted by the start-up reconcile');
  // Its owner is whoever's connection found it in their account: this user, the only one.
  const activity = (await user.client.get('/api/me/audit?limit=100')).json.events as { event: string }[];
  assert.ok(
    activity.some((e) => e.event === 'cloud.vm_deleted'),
    "the orphan's deletion is in the user's activity",
  );
  assert.ok(Date.now() - restarted < 60_000, 'resumed without waiting for the job heartbeat to expire');
  assert.equal(dropletsOf(id).length, 1, 'exactly one Droplet for the instance');
  assert.deepEqual(orphans(instances), [], 'no orphan');
  assert.equal(fake.requests().filter((r) => r.route === 'POST /v2/droplets').length, 1, 'no second create');
});

test('killed while waiting for the agent: the restart carries on to ready with the same Droplet', async (ctx) => {
  if (!needsPeers(ctx) || !fake) return;
  await stopPlane('SIGTERM');
  const agent = await newAgent();
  await startPlane(agent);
  const user = await newUser();
  const id = await deploy(user);
  instances.push(id);
  await until(async () => (await statusOf(user.client, id)) === 'registering', 'registering');
  const before = dropletsOf(id).map((d) => d.id);
  await stopPlane('SIGKILL');

  await startPlane(agent);
  await register(user.client, id, agent);
  assert.deepEqual(
    dropletsOf(id).map((d) => d.id),
    before,
  );
  // A reconcile pass runs every 2 s here: let two go by, and nothing of ours may have been deleted.
  const deletes = fake.requests().filter((r) => r.method === 'DELETE').length;
  await new Promise((resolve) => setTimeout(resolve, 4_500));
  assert.equal(
    fake.requests().filter((r) => r.method === 'DELETE').length,
    deletes,
    'the reconciler left them',
  );
  for (const instanceId of instances) assert.equal(dropletsOf(instanceId).length, 1, instanceId);
  assert.deepEqual(orphans(instances), []);
  assert.deepEqual(deletesBySelector(fake.requests()), [], 'never a delete by tag');
});
