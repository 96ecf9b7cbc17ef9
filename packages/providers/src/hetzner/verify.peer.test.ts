// Hetzner token verification against Prism serving the Hetzner Cloud spec. Prism validates requests but
// has no notion of token permissions, so a small fetch in front of it answers like Hetzner does for unknown
// tokens (401 unauthorized) and for "Read" tokens on writes (403 forbidden).
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
import { createHetznerClient } from './client.ts';
import { hetznerOperations } from './permissions.ts';
import { hetznerPermissionProbes, verifyHetznerToken } from './verify.ts';

const specFile = locateSpec('hetzner');
const READ_WRITE = 'hz-read-write-token-canary-0123456789abcdef0123456789abcdef0123456789abcdef';
const READ_ONLY = 'hz-read-only-token-canary-0123456789abcdef0123456789abcdef0123456789abcdef0';

function hetznerPermissions(upstream: typeof fetch): typeof fetch {
  const json = (status: number, code: string, message: string): Response =>
    new Response(JSON.stringify({ error: { code, message, details: {} } }), {
      status,
      headers: { 'content-type': 'application/json' },
    });
  return async (input, init) => {
    const token = new Headers(init?.headers).get('authorization')?.replace(/^Bearer /, '');
    if (token !== READ_WRITE && token !== READ_ONLY)
      return json(401, 'unauthorized', 'unable to authenticate');
    if (token === READ_ONLY && (init?.method ?? 'GET') !== 'GET') {
      return json(403, 'forbidden', 'insufficient permissions for this request');
    }
    return upstream(input, init);
  };
}

describe('Hetzner token verification (Prism)', { skip: skipUnlessAvailable(specFile, locatePrism()) }, () => {
  let prism: PrismPeer;
  before(async () => {
    if (specFile.ok) prism = await startPrism({ spec: specFile.path });
  });
  after(() => prism?.stop());

  const verify = (token: string) =>
    verifyHetznerToken({ token }, { baseUrl: prism.url, fetch: hetznerPermissions(fetch) });

  test('a Read & Write token is accepted', async () => {
    assert.deepEqual(await verify(READ_WRITE), { ok: true, account: {} });
  });

  test('a Read token is refused, naming the missing write permission', async () => {
    const result = await verify(READ_ONLY);
    assert.ok(!result.ok);
    assert.deepEqual(result.missing, ['write']);
    assert.match(result.reason, /Read & Write/);
    assert.match(result.reason, /project used only by Claw Cloud/);
  });

  test('an unknown token is refused without echoing it', async () => {
    const wrong = 'hz-wrong-token-canary-0123456789abcdef0123456789abcdef0123456789abcdef01234';
    const result = await verify(wrong);
    assert.ok(!result.ok);
    assert.match(result.reason, /401/);
    assert.ok(!result.reason.includes(wrong));
  });

  test('every write probe is a request the spec rejects, so verification creates nothing', async () => {
    const client = createHetznerClient({ token: READ_WRITE, baseUrl: prism.url });
    for (const { id, ...options } of hetznerPermissionProbes) {
      if (hetznerOperations[id].method === 'GET') continue;
      const { status } = await client.call(id, { ...options, accept: [400, 422] });
      assert.ok([400, 422].includes(status), `${id} probe answered ${status}: it would be accepted`);
    }
  });

  test('Prism without a token answers 401 itself: the bearer header is what the spec requires', async () => {
    const res = await fetch(`${prism.url}/servers?per_page=1`);
    await res.arrayBuffer();
    assert.equal(res.status, 401);
  });

  test("a server error surfaces as a retryable ProviderError with Hetzner's code", async () => {
    const failing: typeof fetch = async () =>
      new Response(JSON.stringify({ error: { code: 'unavailable', message: `down ${READ_WRITE}` } }), {
        status: 503,
        headers: { 'content-type': 'application/json', 'retry-after': '7' },
      });
    await assert.rejects(
      verifyHetznerToken({ token: READ_WRITE }, { baseUrl: prism.url, fetch: failing }),
      (err: unknown) =>
        isProviderError(err) &&
        err.retryable &&
        err.code === 'unavailable' &&
        err.retryAfterSeconds === 7 &&
        !err.message.includes(READ_WRITE),
    );
  });
});
