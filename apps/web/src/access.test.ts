import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matchRoute, redirectFor } from './access.ts';
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

test('an instance page takes its id from the address, and needs a session like any private page', () => {
  assert.deepEqual(matchRoute('/instances/abc-123'), { page: '/instances/:id', params: { id: 'abc-123' } });
  assert.equal(matchRoute('/instances/'), null);
  assert.equal(matchRoute('/instances/a/b'), null);
  assert.equal(redirectFor(at('/instances/abc'), 'signed-out'), '/login?next=%2Finstances%2Fabc');
  assert.equal(redirectFor(at('/login?next=%2Finstances%2Fabc'), 'signed-in'), '/instances/abc');
  assert.equal(redirectFor(at('/login?next=%2F%2Fevil.example'), 'signed-in'), '/');
});
