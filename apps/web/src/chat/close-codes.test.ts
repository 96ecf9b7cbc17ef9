import assert from 'node:assert/strict';
import { test } from 'node:test';
import { adviceFor, backoffMs } from './close-codes.ts';

test('failures of the instance or the pipe reconnect on their own; a 1014 also points at health', () => {
  for (const code of [1006, 1011, 1012, 1013, 1014])
    assert.equal(adviceFor(code).action, 'reconnect', `${code}`);
  assert.equal(adviceFor(1014).checkHealth, true);
  assert.equal(adviceFor(1008).slow, true);
});

test('an ended session goes to Log in; idleness waits for the next use; bad messages stop with a reason', () => {
  assert.equal(adviceFor(4401).action, 'sign-in');
  assert.equal(adviceFor(4408).action, 'on-use');
  assert.equal(adviceFor(1009).action, 'stop');
  assert.match(adviceFor(1009).message, /too big/);
  assert.equal(adviceFor(1002).action, 'stop');
  assert.match(adviceFor(4999).message, /4999/);
});

test('backoff doubles from one second, is capped at thirty, and a rate close starts at five', () => {
  const none = () => 0;
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 6].map((attempt) => backoffMs(attempt, { random: none })),
    [1000, 2000, 4000, 8000, 16000, 30000, 30000],
  );
  assert.equal(backoffMs(0, { slow: true, random: none }), 5000);
  assert.equal(backoffMs(0, { random: () => 1 }), 1200);
});
