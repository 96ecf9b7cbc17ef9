import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hasPendingModelSettings, holdModelSettings, takeModelSettings } from './pending-model.ts';

test('settings held for an instance are handed over once, then gone', () => {
  holdModelSettings('i-1', { provider: 'openai', model: 'gpt', apiKey: 'sk-canary' });
  assert.equal(hasPendingModelSettings('i-1'), true);
  assert.equal(hasPendingModelSettings('i-2'), false);
  assert.equal(takeModelSettings('i-1')?.apiKey, 'sk-canary');
  assert.equal(takeModelSettings('i-1'), undefined);
  assert.equal(hasPendingModelSettings('i-1'), false);
});
