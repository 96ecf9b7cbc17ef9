import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redirectFor } from './access.ts';
import { parseLocation } from './router.ts';

const at = (hash: string) => parseLocation(hash);

test('signed-out visitors on a private page go to Log in, remembering where they were going', () => {
  assert.equal(redirectFor(at('/account'), 'signed-out'), '/login?next=%2Faccount');
  assert.equal(redirectFor(at('/'), 'signed-out'), '/login');
  assert.equal(redirectFor(at(''), 'signed-out'), '/login');
});

test('public pages and unknown paths are shown to everyone', () => {
  assert.equal(redirectFor(at('/transparency'), 'signed-out'), null);
  assert.equal(redirectFor(at('/transparency'), 'signed-in'), null);
  assert.equal(redirectFor(at('/no-such-page'), 'signed-out'), null);
});

test('after logging in, people continue only to one of our private pages', () => {
  assert.equal(redirectFor(at('/login?next=%2Factivity'), 'signed-in'), '/activity');
  assert.equal(redirectFor(at('/login'), 'signed-in'), '/');
  assert.equal(redirectFor(at('/login?next=https%3A%2F%2Fevil.example'), 'signed-in'), '/');
  assert.equal(redirectFor(at('/signup?next=%2Flogin'), 'signed-in'), '/');
  assert.equal(redirectFor(at('/login?next=%2Factivity'), 'signed-out'), null);
});
