// Proves the scope list against DigitalOcean's official OpenAPI spec (shared/specs/digitalocean-openapi).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, test } from 'node:test';
import { locateSpec, skipUnlessAvailable } from '../../../testing/src/cloud-peers/index.ts';
import type { DigitalOceanOperationId } from './permissions.ts';
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

    test('every field scope we claim is one the spec names for a parameter or field of that operation', () => {
      const s = spec();
      for (const [id, op] of Object.entries<(typeof digitalOceanOperations)[DigitalOceanOperationId]>(
        digitalOceanOperations,
      )) {
        const mentioned = s.mentionedScopes(op.method, op.path);
        for (const scope of 'fieldScopes' in op ? op.fieldScopes : []) {
          assert.ok(mentioned.includes(scope), `${id}: the spec never says a field needs ${scope}`);
        }
      }
    });

    test('#5: every tag scope the spec names for the calls that read or write tags is asked for', () => {
      const s = spec();
      for (const id of [
        'droplets.get',
        'droplets.listByTag',
        'firewalls.create',
        'firewalls.list',
      ] as const) {
        const op = digitalOceanOperations[id];
        const tagScopes = s.mentionedScopes(op.method, op.path).filter((scope) => scope.startsWith('tag:'));
        assert.ok(tagScopes.includes('tag:read'), `${id}: the spec guards tags with tag:read`);
        for (const scope of tagScopes) {
          assert.ok(requiredDigitalOceanScopes().includes(scope), `${id}: ${scope} is not asked for`);
        }
      }
    });

    test('requiredDigitalOceanScopes() is the union of the spec scopes of the operations we call', () => {
      const s = spec();
      const union = new Set(
        Object.values(digitalOceanOperations).flatMap((op) => [
          ...s.scopes(op.method, op.path),
          ...('fieldScopes' in op ? op.fieldScopes : []),
        ]),
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
    // #5: to find a firewall whose Droplet never came (listing is the only way; the Droplet cannot name it).
    'firewall:read',
    'regions:read',
    'sizes:read',
    'tag:create',
    // Droplet and firewall tags, and the tag_name filter, are readable only with it (spec field notes).
    'tag:read',
  ]);
});

test('docs/providers.md lists the scopes verbatim', () => {
  const doc = fs.readFileSync(new URL('../../../../docs/providers.md', import.meta.url), 'utf8');
  assert.ok(doc.includes(requiredDigitalOceanScopes().join('\n')), 'scope list in docs is stale');
});
