// Issue #5: "one copy of a step per instance" across worker processes. Two workflows on the same
// database — on PostgreSQL each with its own pool, as two worker processes have — handed the same create
// at once make one VM; a lock held by a process that is SIGKILLed is free again at once.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { openDatabase, type Database, type Db } from '@claw/db';
import { createMemoryLogger } from '@claw/logger';
import type { Vm } from '@claw/providers';
import { createTestDatabase } from '@claw/testing';
import { scriptedProvisioner } from './scripted-provisioner.ts';
import { stepLocksFor } from './step-locks.ts';
import { createWorkflow } from './workflow.ts';

let database: Database;
/** The second worker's database: its own pool on PostgreSQL; PGlite is one process, so the same one. */
let second: Database;
let userId = '';

before(async () => {
  database = await createTestDatabase();
  second =
    database.connection.kind === 'postgres' ? await openDatabase({ url: database.connection.url }) : database;
  const [user] = await database.query<{ id: string }>(
    `insert into users (email, password_hash) values ($1, 'unused') returning id`,
    [`${randomUUID()}@example.com`],
  );
  userId = user?.id ?? '';
});
after(async () => {
  if (second !== database) await second?.close();
  await database?.close();
});

async function addInstance(): Promise<string> {
  const id = randomUUID();
  await database.query(
    `insert into instances (id, user_id, name, provider, region, size, status)
     values ($1, $2, 'mine', 'digitalocean', 'fra1', 's-1vcpu-1gb', 'requested')`,
    [id, userId],
  );
  return id;
}

test('two workers handed the same create at once: the provider sees one create', async () => {
  const id = await addInstance();
  const creates: string[] = [];
  let made: Vm | undefined;
  let answer = () => {};
  const answered = new Promise<void>((resolve) => (answer = resolve));
  // The provider takes its time to answer the create: long enough for the other worker to find no VM
  // and make its own, were it let in.
  const provisioner = scriptedProvisioner({
    findByInstance: async () => (made ? [made] : []),
    create: async (spec) => {
      creates.push(spec.instanceId);
      await answered;
      const vm: Vm = {
        instanceId: spec.instanceId,
        providerId: '1001',
        region: spec.region,
        size: spec.size,
        status: 'running',
      };
      made = vm;
      return vm;
    },
    get: async (ref) => made ?? { ...ref, size: '', status: 'gone' },
  });
  const worker = (db: Db) =>
    createWorkflow({
      db,
      log: createMemoryLogger(),
      provisionerFor: async () => provisioner,
      userData: () => '#cloud-config\n{}\n',
      image: () => 'debian-12-x64',
      agentUrlAt: async (address) => `https://${address}:3000`,
      gatewayReady: async () => false,
      allowedSources: ['198.51.100.7'],
      // No agent ever calls back here: the step ends as soon as the VM is up.
      deadlines: { createMs: 60_000, bootMs: 60_000, registerMs: 0 },
      pollMs: 1,
    });

  const first = worker(database.db).create(id);
  let other: Promise<void> = Promise.resolve();
  let providerAnswered = false;
  let otherReturnedFirst = false;
  try {
    for (let waited = 0; creates.length === 0 && waited < 10_000; waited += 5) await delay(5);
    assert.equal(creates.length, 1, 'the first worker is inside the create');
    other = worker(second.db)
      .create(id)
      .then(() => {
        otherReturnedFirst = !providerAnswered;
      });
    await Promise.race([other, delay(2_000)]);
  } finally {
    // Whatever happened, the provider answers: no step is left waiting (and holding its lock) forever.
    providerAnswered = true;
    answer();
  }
  await Promise.all([first, other]);

  assert.ok(otherReturnedFirst, 'the second copy returned at once while the first held the step');
  assert.deepEqual(creates, [id], 'exactly one create reached the provider');
  const [row] = await database.query<{ cloud_resource_id: string }>(
    `select cloud_resource_id from instances where id = $1`,
    [id],
  );
  assert.equal(row?.cloud_resource_id, '1001');
});

test('a step lock is held until released, per step: a destroy is not held up by a running create', async () => {
  const id = randomUUID();
  const mine = stepLocksFor(database.db, createMemoryLogger());
  const theirs = stepLocksFor(second.db, createMemoryLogger());
  const release = await mine.tryAcquire(`create:${id}`);
  assert.ok(release);
  assert.equal(await theirs.tryAcquire(`create:${id}`), null, 'another worker is refused');
  assert.equal(await mine.tryAcquire(`create:${id}`), null, 'and so is another copy in this process');
  const destroy = await theirs.tryAcquire(`destroy:${id}`);
  assert.ok(destroy, 'another step of the same instance runs');
  await destroy();
  await release();
  const again = await theirs.tryAcquire(`create:${id}`);
  assert.ok(again, 'released, the step can run again');
  await again();
});

// Only on PostgreSQL (npm run test:db): one PGlite belongs to one process (its data directory is locked), so
// there is no other process whose lock could outlive it.
const onPostgres = process.env.TEST_DATABASE_URL ? test : () => undefined;

onPostgres('a lock held by a worker that is SIGKILLed is free again (PostgreSQL)', async () => {
  const key = `create:${randomUUID()}`;
  // Another process takes the lock, says so, and waits to be killed.
  const holder = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { openDatabase } from '@claw/db';
       import { createMemoryLogger } from '@claw/logger';
       import { stepLocksFor } from './src/provisioning/step-locks.ts';
       const database = await openDatabase({ url: process.env.LOCK_DATABASE_URL });
       const release = await stepLocksFor(database.db, createMemoryLogger()).tryAcquire(process.env.LOCK_KEY);
       console.log(release ? 'held' : 'refused');
       setInterval(() => {}, 60_000);`,
    ],
    {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      env: {
        ...process.env,
        // This file's own database: advisory locks belong to one database.
        LOCK_DATABASE_URL: database.connection.kind === 'postgres' ? database.connection.url : '',
        LOCK_KEY: key,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  try {
    const [said] = (await once(holder.stdout, 'data')) as [Buffer];
    assert.equal(said.toString().trim(), 'held');
    const locks = stepLocksFor(database.db, createMemoryLogger());
    assert.equal(await locks.tryAcquire(key), null, 'held by the other process');

    holder.kill('SIGKILL');
    await once(holder, 'exit');
    // PostgreSQL ends the session when its client's socket closes, and the session's locks with it.
    let release: (() => Promise<void>) | null = null;
    for (let waited = 0; !release && waited < 10_000; waited += 50) {
      release = await locks.tryAcquire(key);
      if (!release) await delay(50);
    }
    assert.ok(release, 'the killed worker no longer holds the step');
    await release();
  } finally {
    holder.kill('SIGKILL');
  }
});
