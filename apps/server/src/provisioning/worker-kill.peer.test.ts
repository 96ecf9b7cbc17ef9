// Issue #5: "Killing the worker (SIGKILL) at any step and restarting never yields a duplicate or orphaned
// VM", on every provider's emulator (DigitalOcean and Hetzner: stateful fakes behind `prism proxy
// --errors`; AWS: moto behind the fault proxy). The control plane runs as its own process (`claw-cloud
// start`) on an embedded database in a temp directory; the test kills it with SIGKILL at a step, restarts
// it on the same data directory and watches the instance reach ready through a real agent's callback, with
// exactly one VM and no orphan left after the start-up reconcile.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test, type TestContext } from 'node:test';
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
  emulatedProviders,
  emulatorAvailability,
  skipUnlessAvailable,
  provisioningEnv,
  TEST_PUBLIC_URL,
  startEmulatedCloud,
  type EmulatedCloud,
  type EmulatedProvider,
} from '@claw/testing/cloud-peers';

const cli = fileURLToPath(new URL('../cli.ts', import.meta.url));
// Each wait is bounded; a restart must not lean on pg-boss's heartbeat expiry (30 s + its 60 s supervisor).
const STEP_MS = 30_000;

let gateway: Server | undefined;

// The new servers' gateway, answering only its readiness probes.
before(async () => {
  gateway = createHttpServer((_req, res) => res.end(JSON.stringify({ ready: true, version: '2026.9.6' })));
  await new Promise<void>((resolve) => gateway?.listen(0, '127.0.0.1', resolve));
});
after(() => gateway?.close());

for (const provider of emulatedProviders)
  describe(`worker killed on emulated ${provider}`, () => workerKillSuite(provider));

async function freePort(): Promise<number> {
  const probe = createTcpServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port: free } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return free;
}

function workerKillSuite(provider: EmulatedProvider) {
  let skip: string | false = false;
  let cloud: EmulatedCloud;
  let dataDir = '';
  let port = 0;
  let plane: ChildProcess | undefined;
  let output = '';
  const agents: AgentProcess[] = [];
  const instances: string[] = [];

  before(async () => {
    skip = skipUnlessAvailable(...emulatorAvailability(provider));
    if (skip) return;
    cloud = await startEmulatedCloud(provider);
    dataDir = await mkdtemp(join(tmpdir(), 'claw-worker-kill-'));
    port = await freePort();
  });
  after(async () => {
    await stopPlane('SIGTERM');
    for (const agent of agents) await agent.stop();
    await cloud?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  function needsPeers(ctx: TestContext): boolean {
    if (skip) ctx.skip(skip);
    return !skip;
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

  /** `claw-cloud start` on the suite's data directory; the agent port is where the next instance's agent is. */
  async function startPlane(agent: AgentProcess): Promise<void> {
    output = '';
    plane = spawn(process.execPath, [cli, 'start'], {
      env: {
        PATH: process.env.PATH ?? '',
        ...provisioningEnv(cloud, new URL(agent.url).port),
        CLAW_HOST: '127.0.0.1',
        CLAW_PORT: String(port),
        CLAW_DATA_DIR: dataDir,
        CLAW_LOG_LEVEL: 'info',
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

  const vmCount = async (instanceId: string) => (await cloud.vmsOf(instanceId)).length;
  const exists = async (vmId: string) => (await cloud.allVms()).some((vm) => vm.id === vmId);

  /** VMs carrying our tag whose instance is not one of this suite's: none may survive a reconcile. */
  const orphans = async () =>
    (await cloud.allVms()).filter((vm) => vm.instanceId && !instances.includes(vm.instanceId));

  /** A fresh user (the free plan allows one instance) with a connection to the emulated account. */
  async function newUser(): Promise<{ client: HttpClient; credentialId: string }> {
    const client = createHttpClient(`http://127.0.0.1:${port}`, { origin: TEST_PUBLIC_URL });
    const email = `kill-${randomUUID()}@example.com`;
    const signup = await client.post('/api/auth/signup', { email, password: 'correct horse battery staple' });
    assert.equal(signup.status, 201);
    const added = await client.post('/api/credentials', cloud.connection('mine'));
    assert.equal(added.status, 201, JSON.stringify(added.json));
    return { client, credentialId: added.json.credential.id as string };
  }

  async function deploy(user: { client: HttpClient; credentialId: string }): Promise<string> {
    const deployed = await user.client.post('/api/instances', {
      name: 'mine',
      credentialId: user.credentialId,
      region: cloud.region,
      size: cloud.size,
    });
    assert.equal(deployed.status, 202, JSON.stringify(deployed.json));
    const id = deployed.json.instance.id as string;
    instances.push(id);
    return id;
  }

  const statusOf = async (client: HttpClient, id: string) =>
    (await client.get(`/api/instances/${id}`)).json.instance.status as string;

  /** The agent calls back with the code the VM's user-data carries; ready follows. */
  async function register(client: HttpClient, id: string, agent: AgentProcess): Promise<void> {
    await until(async () => (await statusOf(client, id)) === 'registering', 'registering');
    const [vm] = await cloud.vmsOf(id);
    const code = registrationCodeIn(vm?.userData);
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

  test('killed between the create and its commit: the restart adopts the VM, one VM, no orphan', async (ctx) => {
    if (!needsPeers(ctx)) return;
    const agent = await newAgent();
    await startPlane(agent);
    const user = await newUser();
    // The answer to the create is lost too, so the worker sits in its retry back-off while it is killed:
    // the VM exists and the database has not recorded it.
    cloud.injectCreate({ kind: 'lose-response' });
    const id = await deploy(user);
    await until(() => cloud.createArrivals().length > 0, 'create at the provider');
    await stopPlane('SIGKILL');

    // moto makes the instance once the fault proxy has passed the request on: it may lag the kill.
    await until(async () => (await vmCount(id)) === 1, 'VM made');
    assert.deepEqual(await rowOf(id), { status: 'creating', cloud_resource_id: null }, 'and not committed');
    // Someone (an older crash, another control plane) left a VM with our tags that no instance wants.
    const planted = await cloud.plantVm(randomUUID());

    const restarted = Date.now();
    await startPlane(agent);
    await register(user.client, id, agent);
    await until(async () => !(await exists(planted)), 'orphan deleted by the start-up reconcile');
    assert.ok(Date.now() - restarted < 60_000, 'resumed without waiting for the job heartbeat to expire');
    // Its owner is whoever's connection found it in their account: this user, the only one.
    const activity = (await user.client.get('/api/me/audit?limit=100')).json.events as { event: string }[];
    assert.ok(
      activity.some((e) => e.event === 'cloud.vm_deleted'),
      "the orphan's deletion is in the user's activity",
    );
    assert.equal(await vmCount(id), 1, 'exactly one VM for the instance');
    assert.deepEqual(await orphans(), [], 'no orphan');
    assert.equal(cloud.createArrivals().length, 1, 'no second create');
    if (cloud.createClientTokens)
      assert.deepEqual(cloud.createClientTokens(), [id], 'ClientToken = instance id');
    assert.deepEqual(await cloud.vmDeletes(), [planted], 'the orphan deleted by its id, and nothing else');
    assert.deepEqual(await cloud.deletesBySelector(), [], 'never a delete by tag or selector');
  });

  test('killed while waiting for the agent: the restart carries on to ready with the same VM', async (ctx) => {
    if (!needsPeers(ctx)) return;
    await stopPlane('SIGTERM');
    const agent = await newAgent();
    await startPlane(agent);
    const user = await newUser();
    const id = await deploy(user);
    await until(async () => (await statusOf(user.client, id)) === 'registering', 'registering');
    const before = (await cloud.vmsOf(id)).map((vm) => vm.id);
    await stopPlane('SIGKILL');

    await startPlane(agent);
    await register(user.client, id, agent);
    assert.deepEqual(
      (await cloud.vmsOf(id)).map((vm) => vm.id),
      before,
    );
    // A reconcile pass runs every 2 s here: let two go by, and nothing of ours may have been deleted.
    const deletes = (await cloud.vmDeletes()).length;
    await new Promise((resolve) => setTimeout(resolve, 4_500));
    assert.equal((await cloud.vmDeletes()).length, deletes, 'the reconciler left them');
    for (const instanceId of instances) assert.equal(await vmCount(instanceId), 1, instanceId);
    assert.deepEqual(await orphans(), []);
    assert.deepEqual(await cloud.deletesBySelector(), [], 'never a delete by tag');
  });
}
