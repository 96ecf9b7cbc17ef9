import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Credential, DeployOptions, Size } from '../api.ts';
import { describeSize, monthlyPrice, sizesIn, unusableCount, usableConnections } from './deploy-choices.ts';

const credential = (id: string, provider: string, status: string, passwordProtected = false) =>
  ({
    id,
    provider,
    label: id,
    last4: null,
    passwordProtected,
    verification: { status, reason: null, at: null },
    createdAt: '2026-01-01T00:00:00Z',
    lastUsedAt: null,
  }) as Credential;

test('only verified connections without a password can deploy', () => {
  const all = [
    credential('ok', 'digitalocean', 'verified'),
    credential('locked', 'digitalocean', 'verified', true),
    credential('failed', 'digitalocean', 'failed'),
    credential('other', 'hetzner', 'verified'),
  ];
  assert.deepEqual(
    usableConnections(all, 'digitalocean').map((c) => c.id),
    ['ok'],
  );
  assert.equal(unusableCount(all, 'digitalocean'), 2);
  assert.equal(unusableCount(all, 'aws'), 0);
});

const size = (slug: string, priceMonthly: number, regions: string[]): Size => ({
  slug,
  vcpus: 1,
  memoryMb: 1024,
  diskGb: 25,
  priceMonthly,
  priceHourly: priceMonthly / 672,
  currency: 'USD',
  priceIsEstimate: false,
  regions,
});

test('sizes offered in a region, cheapest first', () => {
  const options: DeployOptions = {
    regions: [],
    sizes: [size('big', 24, ['fra1']), size('small', 6, ['fra1', 'nyc3']), size('elsewhere', 1, ['nyc3'])],
  };
  assert.deepEqual(
    sizesIn(options, 'fra1').map((s) => s.slug),
    ['small', 'big'],
  );
  assert.equal(describeSize(size('x', 6, [])), '1 vCPU · 1 GB memory · 25 GB disk');
  // Said as the instance list says the price kept at deploy (prices.ts), so the user recognises it.
  assert.equal(monthlyPrice(size('x', 6, [])), '$6.00 a month');
});
