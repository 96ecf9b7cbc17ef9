import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatPrice, monthlyCost } from './prices.ts';

test('prices in the provider’s currency', () => {
  assert.equal(formatPrice(6, 'USD'), '$6.00');
  assert.equal(formatPrice(0.00893, 'USD', 4), '$0.0089');
  assert.equal(formatPrice(4.51, 'EUR'), '€4.51');
});

test('an instance’s monthly cost in its currency, an estimate said as one', () => {
  assert.equal(monthlyCost({ amount: 6, currency: 'USD', estimate: false }), '$6.00 a month');
  assert.equal(monthlyCost({ amount: 3.79, currency: 'EUR', estimate: false }), '€3.79 a month');
  assert.equal(monthlyCost({ amount: 7.49, currency: 'USD', estimate: true }), 'about $7.49 a month');
});
