// Drives the dashboard the way a person does: by labels, roles and visible text, never by CSS classes.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';

export type Dashboard = { page: Page; context: BrowserContext };

/**
 * A fresh browser profile on the dashboard. Every page error and Content-Security-Policy violation is
 * collected and fails the test when it ends: the server's CSP is strict, and a blocked style or script
 * would otherwise break the page silently.
 */
export async function openDashboard(
  t: TestContext,
  browser: Browser,
  baseURL: string,
  viewport = { width: 1280, height: 900 },
): Promise<Dashboard> {
  const context = await browser.newContext({ baseURL, viewport });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && message.text().includes('Content Security Policy')) {
      problems.push(`CSP violation: ${message.text()}`);
    }
  });
  t.after(async () => {
    await context.close();
    assert.deepEqual(problems, [], 'the dashboard raised errors or CSP violations');
  });
  return { page, context };
}

export function uniqueEmail(label: string): string {
  return `${label}-${randomUUID()}@example.com`;
}

export async function expectHeading(page: Page, name: string): Promise<void> {
  await page.getByRole('heading', { level: 1, name, exact: true }).waitFor();
}

export async function visit(page: Page, path: string, heading: string): Promise<void> {
  await page.goto(`/#${path}`);
  await expectHeading(page, heading);
}

export async function followNav(page: Page, name: string, heading = name): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();
  await expectHeading(page, heading);
}

async function fillCredentials(page: Page, email: string, password: string): Promise<void> {
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
}

export async function signUp(page: Page, email: string, password: string): Promise<void> {
  await visit(page, '/signup', 'Create your account');
  await fillCredentials(page, email, password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expectHeading(page, 'Home');
}

/** Logs in from the page already showing the Log in form. */
export async function logIn(page: Page, email: string, password: string, landing = 'Home'): Promise<void> {
  await fillCredentials(page, email, password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expectHeading(page, landing);
}

/** Tries to log in and returns the error the form shows. */
export async function failedLogIn(page: Page, email: string, password: string): Promise<string> {
  await fillCredentials(page, email, password);
  await Promise.all([
    page.waitForResponse((response) => response.url().endsWith('/api/auth/login')),
    page.getByRole('button', { name: 'Log in' }).click(),
  ]);
  return formAlert(page);
}

export async function logOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Log out' }).click();
  await expectHeading(page, 'Log in');
}

/** Whether the page scrolls sideways: on a phone that means something is cut off or jumps. */
export async function fitsWidth(page: Page): Promise<boolean> {
  return (await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')) === true;
}

/** The event names on the Activity page, newest first, once the list has loaded. */
export async function eventTitles(page: Page): Promise<string[]> {
  const list = page.getByRole('list', { name: 'Account activity' });
  await list.waitFor();
  // The name is one part of each row; its class is the one hook that tells it from the time and client.
  return list.locator('.event-name').allInnerTexts();
}

/** A log-in straight to the API, as another device would, with the headers the CSRF rule asks for. */
export async function apiLogIn(baseURL: string, email: string, password: string): Promise<void> {
  const response = await fetch(new URL('/api/auth/login', baseURL), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Origin: new URL(baseURL).origin },
    body: JSON.stringify({ email, password }),
  });
  await response.body?.cancel();
  assert.equal(response.status, 200);
}

/** The text of the form-level error region once it has something to say. */
export async function formAlert(page: Page): Promise<string> {
  const alert = page.locator('form').getByRole('alert').filter({ hasText: /\S/ });
  await alert.waitFor();
  return (await alert.innerText()).trim();
}

export async function sessionCookie(context: BrowserContext): Promise<string> {
  const cookie = (await context.cookies()).find((c) => c.name.endsWith('claw_session'));
  assert.ok(cookie, 'a session cookie is set');
  assert.ok(cookie.httpOnly, 'the session cookie is HttpOnly');
  return `${cookie.name}=${cookie.value}`;
}

/** GET /api/me outside the browser, with only the given cookie. */
export async function meStatus(baseURL: string, cookie: string): Promise<number> {
  const response = await fetch(new URL('/api/me', baseURL), { headers: { cookie } });
  await response.body?.cancel();
  return response.status;
}

/**
 * Set CLAW_E2E_SCREENSHOTS to a directory to keep a full-page picture of each main page, for reviewing the
 * design by eye. Off by default: pictures are for people, the assertions are the test.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.CLAW_E2E_SCREENSHOTS;
  if (!dir) return;
  await mkdir(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}
