import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRateLimiter } from './rate-limiter.ts';

test('allows a burst of twice the rate, then refills at the rate', () => {
  let clock = 0;
  const take = createRateLimiter(10, () => clock);
  const burst = Array.from({ length: 25 }, () => take());
  assert.equal(burst.filter(Boolean).length, 20);
  clock += 500;
  assert.equal(Array.from({ length: 10 }, () => take()).filter(Boolean).length, 5);
});
