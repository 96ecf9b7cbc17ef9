import assert from 'node:assert/strict';
import { test } from 'node:test';
import { coarseIp, coarseUserAgent } from './client-info.ts';

test('addresses are cut to their network', () => {
  assert.equal(coarseIp('203.0.113.77'), '203.0.113.0/24');
  assert.equal(coarseIp('::ffff:198.51.100.9'), '198.51.100.0/24');
  assert.equal(coarseIp('2001:db8:abcd:12::1'), '2001:db8:abcd::/48');
  assert.equal(coarseIp('::1'), '0:0:0::/48');
  assert.equal(coarseIp('not-an-ip'), null);
});

test('user agents are cut to browser family and system', () => {
  const chrome =
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.8078.73 Safari/537.36';
  assert.equal(coarseUserAgent(chrome), 'Chrome 156 on Linux');
  assert.equal(coarseUserAgent('curl/8.5.0'), 'curl 8');
  assert.equal(coarseUserAgent('secret-token-in-a-ua'), 'other');
});
