import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { browserOrSkip } from '@claw/testing/browser';
import {
  expectHeading,
  failedLogIn,
  fitsWidth,
  followNav,
  logIn,
  logOut,
  meStatus,
  openDashboard,
  screenshot,
  sessionCookie,
  signUp,
  apiLogIn,
  eventTitles,
  uniqueEmail,
  visit,
} from './dashboard.ts';
import { startStack, type Stack } from './stack.ts';

const firstPassword = 'correct horse battery staple';
const secondPassword = 'a different, longer passphrase';

let stack: Stack;
// The embedded database takes several seconds to start the first time.
before(
  async () => {
    stack = await startStack();
  },
  { timeout: 120_000 },
);
after(() => stack?.close());

test(
  'sign up, log out, log in, see activity, change password: the old session and password stop working',
  { timeout: 120_000 },
  async (t) => {
    const browser = await browserOrSkip(t);
    if (!browser) return;
    const { page, context } = await openDashboard(t, browser, stack.url);
    const email = uniqueEmail('journey');

    await visit(page, '/signup', 'Create your account');
    await screenshot(page, 'signup');
    await signUp(page, email, firstPassword);
    await page.getByText(`Signed in as ${email}`).waitFor();
    await page.getByRole('heading', { name: 'Your instances' }).waitFor();
    await screenshot(page, 'home');

    await logOut(page);
    await screenshot(page, 'login');
    await logIn(page, email, firstPassword);

    await followNav(page, 'Activity');
    assert.deepEqual(await eventTitles(page), ['Logged in', 'Logged out', 'Account created']);
    await screenshot(page, 'activity');

    await followNav(page, 'Account');
    await page.getByText(email, { exact: true }).waitFor();
    await screenshot(page, 'account');
    await page.getByLabel('Current password', { exact: true }).fill(firstPassword);
    await page.getByLabel('New password', { exact: true }).fill(secondPassword);
    await page.getByLabel('Confirm new password', { exact: true }).fill(secondPassword);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('status').filter({ hasText: 'Password changed' }).waitFor();

    const cookieBeforeLogout = await sessionCookie(context);
    assert.equal(
      await meStatus(stack.url, cookieBeforeLogout),
      200,
      'the captured cookie is live before log out',
    );
    await logOut(page);
    assert.equal(
      await meStatus(stack.url, cookieBeforeLogout),
      401,
      'a logged-out session cookie is refused',
    );

    const oldPasswordError = await failedLogIn(page, email, firstPassword);
    const unknownEmailError = await failedLogIn(page, uniqueEmail('nobody'), firstPassword);
    assert.match(oldPasswordError, /incorrect/i);
    assert.equal(oldPasswordError, unknownEmailError, 'a wrong password and an unknown email read the same');
    await logIn(page, email, secondPassword);

    await followNav(page, 'Activity');
    const titles = await eventTitles(page);
    assert.deepEqual(titles.slice(0, 4), [
      'Logged in',
      'Failed log-in attempt',
      'Logged out',
      'Password changed',
    ]);
  },
);

test(
  'deleting the account asks for the password, then the account is gone',
  { timeout: 120_000 },
  async (t) => {
    const browser = await browserOrSkip(t);
    if (!browser) return;
    const { page, context } = await openDashboard(t, browser, stack.url);
    const email = uniqueEmail('delete');
    await signUp(page, email, firstPassword);
    await followNav(page, 'Account');

    await page.getByRole('button', { name: 'Delete account…' }).click();
    const confirmation = page.getByRole('form', { name: 'Delete your account permanently?' });
    await confirmation.getByText('your activity history').waitFor();
    await screenshot(page, 'account-delete-confirm');

    const password = confirmation.getByLabel('Password', { exact: true });
    await password.fill('not my password at all');
    await confirmation.getByRole('button', { name: 'Delete my account' }).click();
    // The server names the field, so the error sits under the password input, not at the top of the form.
    await confirmation.getByText('The password is incorrect.').waitFor();
    assert.equal(await password.getAttribute('aria-invalid'), 'true');

    const cookie = await sessionCookie(context);
    await password.fill(firstPassword);
    await confirmation.getByRole('button', { name: 'Delete my account' }).click();
    await expectHeading(page, 'Log in');
    await page.getByRole('status').filter({ hasText: 'deleted' }).waitFor();

    assert.equal(await meStatus(stack.url, cookie), 401, 'the deleted account’s session is refused');
    assert.match(await failedLogIn(page, email, firstPassword), /incorrect/i);
  },
);

test('signing out everywhere ends the sessions in other browsers too', { timeout: 120_000 }, async (t) => {
  const browser = await browserOrSkip(t);
  if (!browser) return;
  const laptop = await openDashboard(t, browser, stack.url);
  const phone = await openDashboard(t, browser, stack.url);
  const email = uniqueEmail('everywhere');
  await signUp(laptop.page, email, firstPassword);
  await visit(phone.page, '/login', 'Log in');
  await logIn(phone.page, email, firstPassword);

  await followNav(laptop.page, 'Account');
  await laptop.page.getByRole('button', { name: 'Sign out everywhere' }).click();
  await expectHeading(laptop.page, 'Log in');
  await laptop.page.getByRole('status').filter({ hasText: 'signed out on every device' }).waitFor();

  // The phone learns on its next request and is sent to Log in, told why.
  const phoneCookie = await sessionCookie(phone.context);
  await followNav(phone.page, 'Activity', 'Log in');
  await phone.page.getByRole('status').filter({ hasText: 'Your session has ended' }).waitFor();
  assert.equal(await meStatus(stack.url, phoneCookie), 401);
});

test(
  'a private page sends a signed-out visitor to Log in, and back again after logging in',
  { timeout: 120_000 },
  async (t) => {
    const browser = await browserOrSkip(t);
    if (!browser) return;
    const { page } = await openDashboard(t, browser, stack.url);
    const email = uniqueEmail('guard');
    await signUp(page, email, firstPassword);
    await logOut(page);

    await visit(page, '/activity', 'Log in');
    await logIn(page, email, firstPassword, 'Activity');
  },
);

test(
  'signing up with a taken email shows the error beside the email field',
  { timeout: 120_000 },
  async (t) => {
    const browser = await browserOrSkip(t);
    if (!browser) return;
    const { page } = await openDashboard(t, browser, stack.url);
    const email = uniqueEmail('taken');
    await signUp(page, email, firstPassword);
    await logOut(page);

    await visit(page, '/signup', 'Create your account');
    await page.getByLabel('Email', { exact: true }).fill(email);
    await page.getByLabel('Password', { exact: true }).fill(firstPassword);
    await page.getByRole('button', { name: 'Create account' }).click();
    const emailInput = page.getByLabel('Email', { exact: true });
    await page.locator('input[aria-invalid="true"]').waitFor();
    assert.equal(await emailInput.getAttribute('aria-invalid'), 'true');
    assert.equal(
      await page.locator('form').getByRole('alert').innerText(),
      '',
      'nothing repeated at the top',
    );
    await screenshot(page, 'signup-error');
  },
);

test(
  'the Transparency page lists every live table, including audit_log, to anyone',
  { timeout: 120_000 },
  async (t) => {
    const browser = await browserOrSkip(t);
    if (!browser) return;
    const { page } = await openDashboard(t, browser, stack.url);

    await visit(page, '/transparency', 'Transparency');
    await page.getByRole('heading', { name: 'audit_log', exact: true }).waitFor();
    assert.ok(
      (await page.getByRole('list', { name: 'Allowed log fields' }).getByRole('listitem').count()) > 0,
    );
    await screenshot(page, 'transparency');
  },
);

test('every page fits a phone screen without sideways scrolling', { timeout: 120_000 }, async (t) => {
  const browser = await browserOrSkip(t);
  if (!browser) return;
  const { page } = await openDashboard(t, browser, stack.url, { width: 360, height: 740 });

  await visit(page, '/signup', 'Create your account');
  assert.ok(await fitsWidth(page), 'Sign up fits');
  await signUp(page, uniqueEmail('a-rather-long-address-for-a-small-screen'), firstPassword);
  for (const [path, heading] of [
    ['/', 'Home'],
    ['/activity', 'Activity'],
    ['/account', 'Account'],
    ['/transparency', 'Transparency'],
  ] as const) {
    await visit(page, path, heading);
    // Activity and Transparency fill in after their data arrives.
    await page.getByRole('status').filter({ hasText: 'Loading' }).waitFor({ state: 'detached' });
    assert.ok(await fitsWidth(page), `${heading} fits`);
    await screenshot(page, `phone-${heading.toLowerCase()}`);
  }
});

test('Activity loads older events with the cursor', { timeout: 120_000 }, async (t) => {
  const browser = await browserOrSkip(t);
  if (!browser) return;
  const { page } = await openDashboard(t, browser, stack.url);
  const email = uniqueEmail('busy');
  await signUp(page, email, firstPassword);
  // One page holds 20 events: the sign-up and 20 more log-ins make 21.
  for (let i = 0; i < 20; i++) await apiLogIn(stack.url, email, firstPassword);

  await followNav(page, 'Activity');
  assert.equal((await eventTitles(page)).length, 20);
  await page.getByRole('button', { name: 'Load more' }).click();
  await page.getByRole('status').filter({ hasText: 'Loaded 1 older event' }).waitFor();
  const titles = await eventTitles(page);
  assert.equal(titles.length, 21);
  assert.equal(titles.at(-1), 'Account created', 'oldest last');
  assert.equal(await page.getByRole('button', { name: 'Load more' }).count(), 0, 'no more pages');
});
