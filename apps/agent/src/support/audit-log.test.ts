import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { openAuditLog, verifyAuditLog } from './audit-log.ts';

function logWith(count: number) {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'claw-audit-')), 'log.jsonl');
  const log = openAuditLog(file, () => 0);
  for (let i = 0; i < count; i += 1) log.append({ type: 'output', sessionId: 's1', text: `line ${i}\r\n` });
  return { file, log, lines: () => fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) };
}

test('an untouched log verifies, and reopening continues the chain', () => {
  const { file, log } = logWith(3);
  log.close();
  const reopened = openAuditLog(file, () => 0);
  const entry = reopened.append({ type: 'session.end', sessionId: 's1', reason: 'exited', exitCode: 0 });
  assert.equal(entry.seq, 3);
  const result = verifyAuditLog(reopened.read());
  assert.deepEqual(result, { ok: true, entries: 4, head: entry.hash });
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  reopened.close();
});

test('changing, removing or reordering a past entry breaks the chain where it happened', () => {
  const { lines, log } = logWith(4);
  log.close();
  const changed = lines();
  changed[1] = changed[1]!.replace('line 1', 'line X');
  assert.deepEqual(verifyAuditLog(changed.join('\n')), {
    ok: false,
    entries: 4,
    brokenAt: 1,
    reason: 'hash',
  });

  // Re-hashing the changed entry does not help: the next entry still links to the old hash.
  const rehashed = lines();
  const { hash: _old, ...body } = {
    ...(JSON.parse(rehashed[1]!) as { hash: string; text: string }),
    text: 'line X',
  };
  const hash = crypto.createHash('sha256').update(JSON.stringify(body)).digest('hex');
  rehashed[1] = JSON.stringify({ ...body, hash });
  assert.deepEqual(verifyAuditLog(rehashed.join('\n')), {
    ok: false,
    entries: 4,
    brokenAt: 2,
    reason: 'link',
  });

  const removed = lines().filter((_, i) => i !== 2);
  assert.deepEqual(verifyAuditLog(removed.join('\n')), {
    ok: false,
    entries: 3,
    brokenAt: 2,
    reason: 'sequence',
  });

  const swapped = lines();
  [swapped[1], swapped[2]] = [swapped[2]!, swapped[1]!];
  assert.equal(verifyAuditLog(swapped.join('\n')).ok, false);

  const garbage = [...lines().slice(0, 2), '{not json', ...lines().slice(3)];
  assert.deepEqual(verifyAuditLog(garbage.join('\n')), {
    ok: false,
    entries: 4,
    brokenAt: 2,
    reason: 'unparseable',
  });
});
