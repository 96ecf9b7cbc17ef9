// DigitalOcean token verification against Prism serving the official spec. Prism checks request shapes but
// not scopes, so `scopeEnforcingFetch` adds DigitalOcean's 401/403 behaviour in front of it, driven by the
// same spec.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { PrismPeer } from '../../../testing/src/cloud-peers/index.ts';
import {
  locatePrism,
  locateSpec,
  skipUnlessAvailable,
  startPrism,
} from '../../../testing/src/cloud-peers/index.ts';
import { isProviderError } from '../provider-error.ts';
import { createDigitalOceanClient } from './client.ts';
import { digitalOceanOperations, requiredDigitalOceanScopes } from './permissions.ts';
import type { DigitalOceanSpec } from './spec.test-support.ts';
import { loadDigitalOceanSpec, scopeEnforcingFetch } from './spec.test-support.ts';
import { digitalOceanScopeProbes, verifyDigitalOceanToken } from './verify.ts';

const specFile = locateSpec('digitalocean');
const FULL = 'dop_v1_full_scopes_0123456789abcdef0123456789abcdef0123456789abcdef0123456789';

describe(
  'DigitalOcean token verification (Prism)',
  { skip: skipUnlessAvailable(specFile, locatePrism()) },
  () => {
    let prism: PrismPeer;
    let spec: DigitalOceanSpec;
    before(async () => {
      if (!specFile.ok) return;
      spec = loadDigitalOceanSpec(specFile.path);
      prism = await startPrism({ spec: specFile.path });
    });
    after(() => prism?.stop());

    const verifyWith = (token: string, tokens: Record<string, readonly string[]>) =>
      verifyDigitalOceanToken({ token }, { baseUrl: prism.url, fetch: scopeEnforcingFetch(spec, tokens) });

    test('a token with exactly the required scopes is accepted and names the account', async () => {
      const result = await verifyWith(FULL, { [FULL]: requiredDigitalOceanScopes() });
      assert.equal(result.ok, true);
      assert.ok(result.ok);
      // The spec's example account (account/examples.yml).
      assert.equal(result.account.email, 'sammy@digitalocean.com');
      assert.ok(result.account.id);
      // Delete scopes cannot be checked without deleting something, and tag:read guards fields, not an
      // endpoint (no 403 to observe); we say so instead of pretending.
      assert.deepEqual(result.unverified, ['droplet:delete', 'firewall:delete', 'tag:read']);
    });

    test('missing scopes are reported exactly', async () => {
      const scopes = requiredDigitalOceanScopes().filter((s) => s !== 'droplet:create' && s !== 'tag:create');
      const result = await verifyWith(FULL, { [FULL]: scopes });
      assert.equal(result.ok, false);
      assert.ok(!result.ok);
      assert.deepEqual(result.missing, ['droplet:create', 'tag:create']);
      assert.match(result.reason, /droplet:create, tag:create/);
    });

    test('#5: a token made before firewall:read was asked for is told exactly that', async () => {
      const scopes = requiredDigitalOceanScopes().filter((s) => s !== 'firewall:read');
      const result = await verifyWith(FULL, { [FULL]: scopes });
      assert.ok(!result.ok);
      assert.deepEqual(result.missing, ['firewall:read']);
      assert.match(result.reason, /lacks a scope Claw Cloud needs: firewall:read\./);
    });

    test('a scope needed by two probes is blamed alone (regions:read also guards GET /v2/sizes)', async () => {
      const scopes = requiredDigitalOceanScopes().filter((s) => s !== 'regions:read');
      const result = await verifyWith(FULL, { [FULL]: scopes });
      assert.ok(!result.ok);
      assert.deepEqual(result.missing, ['regions:read']);
    });

    test('a read-only token lacks every create/update scope', async () => {
      const readOnly = requiredDigitalOceanScopes().filter((s) => s.endsWith(':read'));
      const result = await verifyWith(FULL, { [FULL]: readOnly });
      assert.ok(!result.ok);
      assert.deepEqual(result.missing, ['droplet:create', 'droplet:update', 'firewall:create', 'tag:create']);
    });

    test('an unknown token is refused with a reason that does not contain it', async () => {
      const wrong = 'dop_v1_not_a_real_token_deadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbee';
      const result = await verifyWith(wrong, { [FULL]: requiredDigitalOceanScopes() });
      assert.ok(!result.ok);
      assert.match(result.reason, /401/);
      assert.ok(!result.reason.includes(wrong));
    });

    test('a token with whitespace inside is refused before any request', async () => {
      let calls = 0;
      const result = await verifyDigitalOceanToken(
        { token: 'dop_v1_abc def' },
        { baseUrl: prism.url, fetch: async () => (calls++, new Response('{}')) },
      );
      assert.ok(!result.ok);
      assert.equal(calls, 0);
    });

    test('every write probe is a request the official spec rejects, so verification creates nothing', async () => {
      const client = createDigitalOceanClient({ token: FULL, baseUrl: prism.url });
      for (const { id, ...options } of digitalOceanScopeProbes) {
        if (digitalOceanOperations[id].method === 'GET') continue;
        if (id === 'tags.create') continue; // Prism does not validate this body; checked against the schema below.
        const { status } = await client.call(id, { ...options, accept: [400, 404, 422] });
        assert.ok([400, 422].includes(status), `${id} probe answered ${status}: it would be accepted`);
      }
    });

    test('the tag probe name is refused by the spec schema of a tag name', () => {
      const probe = digitalOceanScopeProbes.find((p) => p.id === 'tags.create');
      const name = (probe?.json as { name: string }).name;
      const pattern = spec.schemaPattern('resources/tags/models/tags.yml', 'name');
      assert.equal(new RegExp(pattern).test(name), false);
    });

    test('rate limiting surfaces as a retryable ProviderError', async () => {
      const limited: typeof fetch = (input, init) =>
        fetch(input, {
          ...init,
          headers: { ...(init?.headers as Record<string, string>), prefer: 'code=429' },
        });
      await assert.rejects(
        verifyDigitalOceanToken({ token: FULL }, { baseUrl: prism.url, fetch: limited }),
        (err: unknown) =>
          isProviderError(err) &&
          err.retryable &&
          err.status === 429 &&
          err.code === 'too_many_requests' &&
          err.operation === 'account.get' &&
          !err.message.includes(FULL),
      );
    });
  },
);
