import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMemoryLogger, describeError } from './logger.ts';

const canary = 'CANARY-7f3c-chat-content';

test('fields outside the allowlist never reach a log line', () => {
  const log = createMemoryLogger();
  const record = {
    event: 'proxy.closed',
    bytesIn: 12,
    body: canary,
    headers: { cookie: canary },
    token: canary,
  };
  log.info(record as unknown as Parameters<typeof log.info>[0]);
  assert.equal(log.lines.length, 1);
  const line = JSON.parse(log.lines[0] ?? '');
  assert.equal(line.event, 'proxy.closed');
  assert.equal(line.bytesIn, 12);
  assert.ok(!log.lines[0]?.includes(canary));
});

test('objects smuggled into an allowed field are dropped', () => {
  const log = createMemoryLogger();
  log.info({ event: 'x', route: { nested: canary } } as unknown as Parameters<typeof log.info>[0]);
  assert.ok(!log.lines[0]?.includes(canary));
});

test('an error is described without its message', () => {
  let error: unknown;
  try {
    JSON.parse(`{"message":"${canary}`);
  } catch (caught) {
    error = caught;
  }
  const described = describeError(error);
  assert.equal(described.errorName, 'SyntaxError');
  assert.ok(!JSON.stringify(described).includes(canary));
});
