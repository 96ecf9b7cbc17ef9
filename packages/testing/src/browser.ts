// Real Chromium for browser journeys: Debian's package, never a downloaded build, so CI and laptops run
// the same browser that `apt-get` installs.
import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { chromium, type Browser } from 'playwright-core';

export const chromiumPath = '/usr/bin/chromium';

// Headless, and quiet on the network: nothing but the loopback server under test should be contacted.
export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export class BrowserUnavailable extends Error {
  constructor(cause?: unknown) {
    super(
      `Chromium is not available at ${chromiumPath}. Install it with: apt-get install -y chromium ` +
        '(do not use `npx playwright install`).',
      { cause },
    );
    this.name = 'BrowserUnavailable';
  }
}

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(chromiumPath)) throw new BrowserUnavailable();
  return chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
}

/**
 * A browser for this test, closed when the test ends. Without Chromium the test is skipped loudly on a
 * developer machine, and fails in CI (CI=true), where a missing browser must never pass as green.
 */
export async function browserOrSkip(t: TestContext): Promise<Browser | null> {
  let browser: Browser;
  try {
    browser = await launchBrowser();
  } catch (error) {
    if (!(error instanceof BrowserUnavailable) || process.env.CI === 'true') throw error;
    t.skip(`BROWSER TESTS SKIPPED: ${error.message}`);
    return null;
  }
  t.after(() => browser.close());
  return browser;
}
