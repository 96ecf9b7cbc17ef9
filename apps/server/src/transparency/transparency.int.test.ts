import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestPlane, type TestPlane } from '../test-support.ts';

let t: TestPlane;
before(async () => {
  t = await startTestPlane();
});
after(() => t.close());

test('the transparency API lists the live tables and the log field allowlist, without signing in', async () => {
  const response = await t.client().get('/api/transparency');
  assert.equal(response.status, 200);
  const names = response.json.tables.map((table: { name: string }) => table.name);
  for (const name of ['users', 'sessions', 'plans', 'instances', 'credentials', 'audit_log'])
    assert.ok(names.includes(name), name);
  const audit = response.json.tables.find((table: { name: string }) => table.name === 'audit_log');
  assert.ok(audit.columns.some((column: { name: string }) => column.name === 'prev_hash'));
  assert.ok(response.json.logFields.includes('bytesIn'));
  assert.ok(!response.json.logFields.includes('body'));
});

test('a table added at run time appears at once (read live, not from a list)', async () => {
  await t.database.query('create table transparency_probe (id integer)');
  try {
    const response = await t.client().get('/api/transparency');
    assert.ok(response.json.tables.some((table: { name: string }) => table.name === 'transparency_probe'));
  } finally {
    await t.database.query('drop table transparency_probe');
  }
});

test('the OpenAPI document describes the API from the validating schemas', async () => {
  const response = await t.client().get('/api/openapi.json');
  assert.equal(response.status, 200);
  assert.equal(response.json.openapi, '3.1.0');
  for (const path of [
    '/api/auth/signup',
    '/api/auth/login',
    '/api/me',
    '/api/me/audit',
    '/api/transparency',
  ]) {
    assert.ok(response.json.paths[path], path);
  }
  const signup = response.json.paths['/api/auth/signup'].post.requestBody.content['application/json'].schema;
  const credentials = signup.$ref ? response.json.components.schemas.Credentials : signup;
  assert.equal(credentials.properties.password.minLength, 12);
});
