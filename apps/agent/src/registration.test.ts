import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, test } from 'node:test';
import { createCredentialStore } from './credential-store.ts';
import { createRegistration } from './registration.ts';

const HOUR = 60 * 60_000;
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function setup(now = () => 1_000) {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'claw-agent-reg-'));
  dirs.push(stateDir);
  const store = createCredentialStore(stateDir);
  const registration = createRegistration({ stateDir, store, now, ttlMs: HOUR, maxFailures: 10 });
  return { stateDir, store, registration };
}
const newCredential = () => crypto.randomBytes(32).toString('base64url');
const stateText = (dir: string) =>
  fs
    .readdirSync(dir)
    .map((file) => fs.readFileSync(path.join(dir, file), 'utf8'))
    .join('\n');

test('the code works once; the credential and code are stored only as hashes, 0600', () => {
  const { stateDir, store, registration } = setup();
  const code = registration.issueCode()!;
  assert.ok(Buffer.from(code, 'base64url').length >= 16);
  const credential = newCredential();
  assert.ok(!stateText(stateDir).includes(code));
  assert.deepEqual(registration.register(code, credential), { ok: true });
  assert.ok(store.verify(credential));
  assert.ok(!store.verify(newCredential()));
  assert.ok(!stateText(stateDir).includes(credential));
  assert.equal(fs.statSync(path.join(stateDir, 'credential.sha256')).mode & 0o777, 0o600);
  assert.deepEqual(registration.register(code, newCredential()), { ok: false, reason: 'already_registered' });
  assert.equal(registration.issueCode(), undefined);
});

test('a restart keeps the registration', () => {
  const { stateDir, registration } = setup();
  const credential = newCredential();
  registration.register(registration.issueCode(), credential);
  assert.ok(createCredentialStore(stateDir).verify(credential));
});

test('an expired code is refused', () => {
  let clock = 0;
  const { registration } = setup(() => clock);
  const code = registration.issueCode();
  clock = HOUR;
  assert.deepEqual(registration.register(code, newCredential()), { ok: false, reason: 'invalid_code' });
});

test('ten wrong guesses burn the code, even for the right one afterwards', () => {
  const { registration } = setup();
  const code = registration.issueCode()!;
  for (let i = 0; i < 10; i++) {
    assert.deepEqual(registration.register(`guess-${i}`, newCredential()), {
      ok: false,
      reason: 'invalid_code',
    });
  }
  assert.deepEqual(registration.register(code, newCredential()), { ok: false, reason: 'locked' });
});

test('a weak or malformed credential is refused before the code is checked', () => {
  const { registration } = setup();
  const code = registration.issueCode();
  for (const credential of ['short', 'x'.repeat(42), `${'a'.repeat(43)} `, 42, undefined]) {
    assert.deepEqual(registration.register(code, credential), { ok: false, reason: 'invalid_request' });
  }
  assert.deepEqual(registration.register(code, newCredential()), { ok: true });
});

test('the store refuses to verify anything before registration', () => {
  const { store } = setup();
  assert.equal(store.verify(''), false);
  assert.equal(store.verify(undefined), false);
});
