// Proves the Hetzner operation table against the Hetzner Cloud OpenAPI spec (shared/specs/hetzner-cloud-openapi).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { locateSpec, skipUnlessAvailable } from '../../../testing/src/cloud-peers/index.ts';
import { hetznerOperations } from './permissions.ts';

const specFile = locateSpec('hetzner');

test('every Hetzner operation we call exists in the spec', { skip: skipUnlessAvailable(specFile) }, () => {
  const spec = JSON.parse(fs.readFileSync(specFile.ok ? specFile.path : '', 'utf8')) as {
    paths: Record<string, Record<string, unknown>>;
  };
  for (const [id, op] of Object.entries(hetznerOperations)) {
    assert.ok(
      spec.paths[op.path]?.[op.method.toLowerCase()],
      `${id}: ${op.method} ${op.path} is not in the spec`,
    );
  }
});

test('we never delete by label: every DELETE we call targets one resource by id', () => {
  for (const [id, op] of Object.entries(hetznerOperations)) {
    if (op.method === 'DELETE') assert.match(op.path, /\/\{id\}$/, `${id} must delete by id`);
  }
});
