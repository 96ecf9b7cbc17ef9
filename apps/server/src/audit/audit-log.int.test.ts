import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { schema, type Database } from '@claw/db';
import { createTestDatabase } from '@claw/testing';
import { appendAudit, verifyAuditChain } from './audit-log.ts';

let database: Database;
let userId: string;

before(async () => {
  database = await createTestDatabase();
});
after(() => database.close());

beforeEach(async () => {
  const [user] = await database.db
    .insert(schema.users)
    .values({ email: `${crypto.randomUUID()}@example.com`, passwordHash: 'x' })
    .returning();
  userId = user?.id ?? '';
  for (const event of ['auth.signup', 'auth.login', 'auth.logout', 'auth.login'] as const) {
    await appendAudit(database.db, {
      userId,
      event,
      outcome: 'ok',
      requestId: null,
      clientIp: null,
      clientAgent: null,
    });
  }
});

test('an untouched chain verifies', async () => {
  assert.deepEqual(await verifyAuditChain(database.db, userId), { ok: true, length: 4 });
});

test('an edited event is detected', async () => {
  await database.query(`update audit_log set outcome = 'failed' where user_id = $1 and seq = 2`, [userId]);
  assert.deepEqual(await verifyAuditChain(database.db, userId), {
    ok: false,
    brokenAtSeq: 2,
    reason: 'event altered',
  });
});

test('an edited timestamp is detected', async () => {
  await database.query(`update audit_log set at = at - interval '1 hour' where user_id = $1 and seq = 3`, [
    userId,
  ]);
  assert.equal((await verifyAuditChain(database.db, userId)).ok, false);
});

test('a deleted event in the middle is detected', async () => {
  await database.query(`delete from audit_log where user_id = $1 and seq = 2`, [userId]);
  assert.deepEqual(await verifyAuditChain(database.db, userId), {
    ok: false,
    brokenAtSeq: 2,
    reason: 'missing event',
  });
});

test('deleting the newest events is detected through the head on the user row', async () => {
  await database.query(`delete from audit_log where user_id = $1 and seq >= 3`, [userId]);
  assert.deepEqual(await verifyAuditChain(database.db, userId), {
    ok: false,
    brokenAtSeq: 3,
    reason: 'newest events removed',
  });
});

test('a rewritten history (renumbered and rehashed rows) breaks at the first forged link', async () => {
  await database.query(`delete from audit_log where user_id = $1 and seq = 2`, [userId]);
  await database.query(`update audit_log set seq = seq - 1 where user_id = $1 and seq > 2`, [userId]);
  const verdict = await verifyAuditChain(database.db, userId);
  assert.equal(verdict.ok, false);
});

test('concurrent appends keep one unbroken chain', async () => {
  await Promise.all(
    Array.from({ length: 10 }, () =>
      appendAudit(database.db, {
        userId,
        event: 'auth.login',
        outcome: 'ok',
        requestId: null,
        clientIp: null,
        clientAgent: null,
      }),
    ),
  );
  assert.deepEqual(await verifyAuditChain(database.db, userId), { ok: true, length: 14 });
});
