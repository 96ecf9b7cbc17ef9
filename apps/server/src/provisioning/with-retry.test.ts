import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProviderError } from '@claw/providers';
import { withRetry } from './with-retry.ts';

const failing = (errors: unknown[]) => {
  let calls = 0;
  return {
    call: async () => {
      const error = errors[calls++];
      if (error) throw error;
      return 'ok';
    },
    calls: () => calls,
  };
};
const busy = (retryAfterSeconds?: number) =>
  new ProviderError('busy', {
    provider: 'digitalocean',
    operation: 'create',
    retryable: true,
    status: 429,
    ...(retryAfterSeconds ? { retryAfterSeconds } : {}),
  });

test('retries retryable errors, honouring Retry-After', async () => {
  const waits: number[] = [];
  const p = failing([busy(7), busy()]);
  assert.equal(
    await withRetry(p.call, { sleep: async (ms) => void waits.push(ms), random: () => 0.5 }),
    'ok',
  );
  assert.equal(p.calls(), 3);
  assert.equal(waits[0], 7000);
  assert.equal(waits[1], 1000);
});

test('never retries a non-retryable error', async () => {
  const denied = new ProviderError('no', {
    provider: 'aws',
    operation: 'create',
    retryable: false,
    status: 403,
  });
  const p = failing([denied]);
  await assert.rejects(withRetry(p.call, { sleep: async () => {} }), denied);
  assert.equal(p.calls(), 1);
});

test('gives up after five attempts', async () => {
  const p = failing([busy(), busy(), busy(), busy(), busy(), busy()]);
  await assert.rejects(withRetry(p.call, { sleep: async () => {} }));
  assert.equal(p.calls(), 5);
});
