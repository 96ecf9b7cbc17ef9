import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canAct, stepsFor } from './lifecycle.ts';

const states = (trail: string[]) =>
  stepsFor(trail)?.steps.map((s) => `${s.status}:${s.state}${s.current ? '*' : ''}`);

test('a deployment under way shows its steps, the current one marked', () => {
  assert.deepEqual(states(['requested', 'creating', 'booting']), [
    'requested:done',
    'creating:done',
    'booting:current*',
    'registering:todo',
    'ready:todo',
  ]);
});

test('a flow that reached its last step shows it done; a ready instance nobody watched shows no steps', () => {
  assert.deepEqual(states(['registering', 'ready']), [
    'requested:done',
    'creating:done',
    'booting:done',
    'registering:done',
    'ready:done*',
  ]);
  assert.equal(stepsFor(['ready']), null);
  assert.deepEqual(states(['ready', 'destroying', 'destroyed']), ['destroying:done', 'destroyed:done*']);
});

test('a failure marks the step it happened in; an instance first seen failed shows no steps', () => {
  assert.deepEqual(states(['booting', 'failed']), [
    'requested:done',
    'creating:done',
    'booting:failed*',
    'registering:todo',
    'ready:todo',
  ]);
  assert.equal(stepsFor(['failed']), null);
});

test('actions follow the server’s rules', () => {
  assert.equal(canAct('stop', 'ready'), true);
  assert.equal(canAct('stop', 'registering'), false);
  assert.equal(canAct('start', 'stopped'), true);
  assert.equal(canAct('destroy', 'failed'), true);
  assert.equal(canAct('destroy', 'destroyed'), false);
});
