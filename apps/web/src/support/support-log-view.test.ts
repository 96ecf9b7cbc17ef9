import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SupportLogEntry } from '../api.ts';
import {
  appendPage,
  countdown,
  groupLog,
  headStillThere,
  plainText,
  typedLines,
} from './support-log-view.ts';

let seq = 0;
const entry = (type: string, fields: Record<string, unknown> = {}): SupportLogEntry => ({
  seq: seq++,
  ts: `2026-11-29T12:00:0${seq % 10}Z`,
  type,
  prev: 'p',
  hash: `h${seq}`,
  ...fields,
});

test('a session becomes one block: the command lines as typed and the output without terminal codes', () => {
  const items = groupLog([
    entry('grant.opened', { grantId: 'g' }),
    entry('session.start', { sessionId: 's', certificateKeyId: 'ada@support', client: '10.0.0.1 5555' }),
    entry('input', { sessionId: 's', text: 'sudo systemctl restart opencl\t\r' }),
    entry('output', { sessionId: 's', text: '\x1b[1;32mok\x1b[0m\r\n' }),
    entry('input', { sessionId: 's', text: 'exiy\x7ft\r' }),
    entry('session.end', { sessionId: 's', reason: 'exited' }),
    entry('grant.revoked', { grantId: 'g' }),
  ]);
  assert.deepEqual(
    items.map((item) => item.kind),
    ['event', 'session', 'event'],
  );
  const session = items[1]?.kind === 'session' ? items[1].session : undefined;
  assert.deepEqual(session?.typed, ['sudo systemctl restart opencl\t', 'exit']);
  assert.equal(session?.output, 'ok\n');
  assert.equal(session?.keyId, 'ada@support');
  assert.equal(session?.endReason, 'exited');
});

test('entries of an unknown session are not attributed to another one', () => {
  const items = groupLog([entry('output', { sessionId: 'nobody', text: 'x' })]);
  assert.deepEqual(items, []);
});

test('terminal titles, cursor moves and control characters are removed', () => {
  assert.equal(plainText('\x1b]0;root@host\x07a\x1b[2Kb\x07c\r\n'), 'abc\n');
  assert.deepEqual(typedLines('ab\bc\n\x03'), ['ac']);
});

test('a remembered head must still be in the chain', () => {
  const entries = [entry('grant.opened'), entry('grant.revoked')];
  assert.equal(headStillThere(entries, null), true);
  assert.equal(headStillThere(entries, { seq: entries[1]!.seq, hash: entries[1]!.hash }), true);
  assert.equal(headStillThere(entries, { seq: entries[1]!.seq, hash: 'rewritten' }), false);
  assert.equal(headStillThere(entries.slice(0, 1), { seq: entries[1]!.seq, hash: entries[1]!.hash }), false);
});

test('the countdown shows hours, minutes and seconds, and stops at zero', () => {
  assert.equal(countdown(86_400_000, 0), '24:00:00');
  assert.equal(countdown(61_500, 0), '0:01:02');
  assert.equal(countdown(0, 5), '0:00:00');
});

test('a page read from the last known entry on adds only what is new; a changed entry means a rewritten log', () => {
  const [a, b, c] = [entry('grant.opened'), entry('session.start'), entry('session.end')];
  assert.deepEqual(appendPage([], [a!, b!]), { entries: [a, b], rewritten: false });
  assert.deepEqual(appendPage([a!, b!], [b!, c!]), { entries: [a, b, c], rewritten: false });
  assert.deepEqual(appendPage([a!, b!], [b!]), { entries: [a, b], rewritten: false });
  assert.equal(appendPage([a!, b!], [{ ...b!, hash: 'rewritten' }, c!]).rewritten, true);
  assert.equal(appendPage([a!, b!], []).rewritten, true, 'a log cut short');
});
