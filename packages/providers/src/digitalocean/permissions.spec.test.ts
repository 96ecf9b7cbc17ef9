// Proves the scope list against DigitalOcean's official OpenAPI spec (shared/specs/digitalocean-openapi).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, test } from 'node:test';
import { locateSpec, skipUnlessAvailable } from '../../../testing/src/cloud-peers/index.ts';
import { digitalOceanOperations, requiredDigitalOceanScopes } from './permissions.ts';
import { loadDigitalOceanSpec } from './spec.test-support.ts';

const specFile = locateSpec('digitalocean');

describe(
  'DigitalOcean scopes derived from the official spec',
  { skip: skipUnlessAvailable(specFile) },
  () => {
    const spec = () => loadDigitalOceanSpec(specFile.ok ? specFile.path : '');

    test('every operation we call exists in the spec with exactly the scopes in our table', () => {
      const s = spec();
      for (const [id, op] of Object.entries(digitalOceanOperations)) {
        assert.ok(s.operation(op.method, op.path), `${id}: ${op.method} ${op.path} is not in the spec`);
        assert.deepEqual(
          s.scopes(op.method, op.path),
          [...op.scopes].sort(),
          `${id}: scopes differ from the spec`,
        );
      }
    });

    test('requiredDigitalOceanScopes() is the union of the spec scopes of the operations we call', () => {
      const s = spec();
      const union = new Set(
        Object.values(digitalOceanOperations).flatMap((op) => s.scopes(op.method, op.path)),
      );
      assert.deepEqual(requiredDigitalOceanScopes(), [...union].sort());
    });
  },
);

test('we never delete by tag: every DELETE we call targets one resource by id', () => {
  for (const [id, op] of Object.entries(digitalOceanOperations)) {
    if (op.method === 'DELETE') assert.match(op.path, /\/\{[a-z_]+_id\}$/, `${id} must delete by id`);
  }
});

test('the scope list is what provisioning needs and nothing broader', () => {
  assert.deepEqual(requiredDigitalOceanScopes(), [
    'account:read',
    'droplet:create',
    'droplet:delete',
    'droplet:read',
    'droplet:update',
    'firewall:create',
    'firewall:delete',
    'regions:read',
    'sizes:read',
    'tag:create',
  ]);
});

test('docs/providers.md lists the scopes verbatim', () => {
  const doc = fs.readFileSync(new URL('../../../../docs/providers.md', import.meta.url), 'utf8');
  assert.ok(doc.includes(requiredDigitalOceanScopes().join('\n')), 'scope list in docs is stale');
});
