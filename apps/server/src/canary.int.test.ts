import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { dumpDatabase } from '@claw/testing';
import { startTestPlane, type TestPlane } from './test-support.ts';

// A value that must never be stored or logged in any form we could read back.
const canary = `CANARY-${crypto.randomUUID()}`;

let t: TestPlane;
before(async () => {
  t = await startTestPlane();
});
after(() => t.close());

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

test('a canary in passwords, bodies, headers and query strings reaches neither the database nor the logs', async () => {
  const email = `canary-${crypto.randomUUID()}@example.com`;
  const password = `${canary}-password`;
  const client = t.client();
  await client.post(
    '/api/auth/signup',
    { email, password, extra: canary },
    { 'user-agent': canary, 'x-note': canary },
  );
  await client.post('/api/auth/login', { email, password: `${canary}-wrong` });
  await client.post('/api/auth/login', { email: 'nobody@example.com', password: canary });
  await client.post('/api/auth/login', `{"email": "${canary}`);
  await client.post('/api/auth/signup', { email: canary, password: canary });
  await client.get(`/api/me/audit?cursor=${canary}&token=${canary}`);
  await client.get(`/${canary}?q=${canary}`);
  await client.post('/api/me/password', { currentPassword: password, newPassword: `${canary}-new-password` });

  const dump = await dumpDatabase(t.database);
  assert.ok(dump.includes(email), 'the dump is real (it holds the email)');
  assert.ok(!dump.includes(canary), 'the canary reached the database');
  assert.ok(t.log.lines.length > 5, 'lines were logged');
  assert.ok(!t.log.lines.join('\n').includes(canary), 'the canary reached a log line');
});

test('the canary is not in any file the control plane wrote', async () => {
  const files = await filesUnder(t.plane.config.dataDir);
  for (const file of files) {
    if ((await stat(file)).size > 50_000_000) continue;
    assert.ok(!(await readFile(file)).includes(canary), `${file} holds the canary`);
  }
});
