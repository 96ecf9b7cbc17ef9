import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeEvent, relativeTime } from './activity-format.ts';

test('events read as plain words, failed log-ins included', () => {
  assert.equal(describeEvent({ event: 'auth.signup', outcome: 'ok' }), 'Account created');
  assert.equal(describeEvent({ event: 'auth.login', outcome: 'ok' }), 'Logged in');
  assert.equal(describeEvent({ event: 'auth.login', outcome: 'failed' }), 'Failed log-in attempt');
  assert.equal(describeEvent({ event: 'account.password_changed', outcome: 'ok' }), 'Password changed');
});

test('events this page does not know yet still show, by name', () => {
  assert.equal(describeEvent({ event: 'instance.created', outcome: 'ok' }), 'instance.created');
});

test('times read relative to now', () => {
  const now = new Date('2025-06-01T12:00:00Z');
  assert.equal(relativeTime('2025-06-01T11:59:30Z', now, 'en'), 'just now');
  assert.equal(relativeTime('2025-06-01T11:55:00Z', now, 'en'), '5 minutes ago');
  assert.equal(relativeTime('2025-05-31T12:00:00Z', now, 'en'), 'yesterday');
});
