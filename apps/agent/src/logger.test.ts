import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LogEntry } from './logger.ts';
import { createLogger, errorCodeOf } from './logger.ts';

function capture() {
  const lines: string[] = [];
  const log = createLogger(
    (line) => lines.push(line),
    () => 0,
  );
  return { log, parsed: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

test('only allowlisted fields reach the line', () => {
  const { log, parsed } = capture();
  const sneaky = {
    event: 'ws.closed',
    connId: 'abc',
    bytesIn: 3,
    frame: 'hello',
    headers: { a: 1 },
    token: 't',
  };
  log(sneaky as LogEntry);
  assert.deepEqual(parsed(), [
    { ts: '1970-01-01T00:00:00.000Z', event: 'ws.closed', connId: 'abc', bytesIn: 3 },
  ]);
});

test('free text in an allowlisted string field is redacted', () => {
  const { log, parsed } = capture();
  log({ event: 'ws.closed', errorCode: 'token=abc secret text', connId: 'x y' });
  assert.deepEqual(parsed()[0], {
    ts: '1970-01-01T00:00:00.000Z',
    event: 'ws.closed',
    errorCode: 'redacted',
    connId: 'redacted',
  });
});

test('errorCodeOf keeps identifier codes and drops messages', () => {
  assert.equal(
    errorCodeOf(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1'), { code: 'ECONNREFUSED' })),
    'ECONNREFUSED',
  );
  assert.equal(errorCodeOf(new TypeError('secret inside message')), 'TypeError');
  assert.equal(errorCodeOf('a string'), 'unknown');
});
