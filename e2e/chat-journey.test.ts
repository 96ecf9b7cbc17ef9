// Adopt a server, set up its model and chat with it, all from the dashboard, against the REAL OpenClaw gateway
// behind a real agent process: browser -> control plane proxy -> agent -> gateway. The gateway starts like a
// fresh instance (no provider, no model); its fake LLM answers "ECHO: <text>" and only to KEY. The peer costs
// 15-40 s and about 1 GB: one for the file. Without it the test skips, unless CI is set.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { dumpDatabase, startAgentProcess, type AgentProcess } from '@claw/testing';
import { browserOrSkip } from '@claw/testing/browser';
import { startOpenClawPeer, type OpenClawPeer } from '@claw/testing/openclaw-peer';
import {
  expectHeading,
  fitsWidth,
  logIn,
  openDashboard,
  screenshot,
  signUp,
  uniqueEmail,
} from './dashboard.ts';
import { startStack, type Stack } from './stack.ts';

const password = 'correct horse battery staple';
const KEY = `sk-claw-${crypto.randomUUID().replaceAll('-', '')}`;
const message = 'hello **world**, see [the docs](https://docs.example.com/start)';
const reply = 'ECHO: hello world, see the docs';
const CHAT_TIMEOUT = { timeout: 120_000 };

let peer: OpenClawPeer | undefined;
let unavailable: string | undefined;
let agent: AgentProcess | undefined;
let stack: Stack | undefined;

before(
  async () => {
    try {
      peer = await startOpenClawPeer({ modelProvider: 'none', llmRequiredApiKey: KEY });
    } catch (error) {
      if (process.env.CI === 'true') throw error;
      unavailable = (error as Error).message.split('\n')[0];
      return;
    }
    agent = await startAgentProcess({ gatewayUrl: peer.gatewayUrl, gatewayToken: peer.token });
    stack = await startStack({
      // The agent listens on 127.0.0.1, which the SSRF guard refuses unless told otherwise.
      CLAW_AGENT_ALLOW_PRIVATE_NETWORKS: 'true',
      CLAW_PROXY_SESSION_CHECK_MS: '500',
    });
  },
  { timeout: 300_000 },
);
after(async () => {
  await stack?.close();
  await agent?.stop();
  await peer?.stop();
});

const transcript = (page: Page) => page.getByRole('log', { name: 'Conversation' });

test(
  'adopt a server, set up its model, chat with streamed Markdown, reload the history, log out, lose the server',
  { timeout: 420_000 },
  async (t) => {
    if (!peer || !agent || !stack) return t.skip(`OpenClaw peer unavailable: ${unavailable}`);
    const browser = await browserOrSkip(t);
    if (!browser) return;
    const { page, context } = await openDashboard(t, browser, stack.url);
    // Every HTTP request the dashboard makes to our API, to prove the model key never travels in one.
    const apiBodies: string[] = [];
    page.on('request', (request) => apiBodies.push(`${request.url()} ${request.postData() ?? ''}`));
    const email = uniqueEmail('chat');
    await signUp(page, email, password);

    // Adopt: the three lines the agent printed at its first start.
    const adopt = page.getByRole('form', { name: 'Adopt an existing server' });
    await adopt.getByLabel('Name', { exact: true }).fill('home server');
    await adopt.getByLabel('Agent URL').fill(agent.url);
    await adopt.getByLabel('Certificate fingerprint').fill(agent.fingerprint);
    await adopt.getByLabel('Registration code').fill(agent.registrationCode);
    await adopt.getByRole('button', { name: 'Adopt server' }).click();
    const instances = page.getByRole('list', { name: 'Instances' });
    await instances.getByRole('link', { name: 'home server' }).waitFor({ timeout: 60_000 });
    await instances.getByText('Healthy').waitFor({ timeout: 60_000 });
    await instances.getByText(`OpenClaw ${peer.openclawVersion}`).waitFor();
    await screenshot(page, 'home-instances');

    // Before any model is set up the chat says so, instead of offering a box that would fail.
    await instances.getByRole('link', { name: 'Open chat' }).click();
    await expectHeading(page, 'home server');
    await page.getByRole('heading', { name: 'Set up your model first' }).waitFor({ timeout: 60_000 });
    assert.equal(await page.getByLabel('Message').count(), 0, 'no chat box before the model is set up');
    await screenshot(page, 'instance-setup-first');

    await page.getByRole('link', { name: 'Open Assistant settings' }).click();
    const settingsTab = page.getByRole('tab', { name: 'Assistant settings' });
    await page.waitForFunction("location.hash.endsWith('?tab=settings')");
    assert.equal(await settingsTab.getAttribute('aria-selected'), 'true');
    const current = page.getByRole('definition').filter({ hasText: 'No key' });
    await current.waitFor({ timeout: 60_000 });
    await page.getByLabel('Provider').selectOption('custom');
    await page.getByLabel('Base URL').fill(peer.llmBaseUrl);
    await page.getByLabel('Default model').fill('echo-1');
    await page.getByLabel('API key').fill(KEY);
    await page.getByRole('button', { name: 'Save to my server' }).click();
    await page.getByText('Saved on your server: custom/echo-1.').waitFor({ timeout: 60_000 });
    assert.equal(await page.getByLabel('API key').inputValue(), '', 'the key leaves the page once sent');
    await page.getByText('Key saved on your server').waitFor();
    await page.getByRole('button', { name: 'Test connection' }).click();
    await page.getByText('The connection works.').waitFor(CHAT_TIMEOUT);
    await screenshot(page, 'instance-settings');
    assert.ok(!apiBodies.some((body) => body.includes(KEY)), 'the model key was never sent to our API');
    // Nor held anywhere on our side: no table, no log line, no file of the control plane, no agent output.
    assert.ok(!(await dumpDatabase(stack.database)).includes(KEY), 'the model key is in no table');
    assert.ok(!stack.logLines().join('\n').includes(KEY), 'nor in a log line');
    for (const entry of await readdir(stack.dataDir, { recursive: true, withFileTypes: true })) {
      if (entry.isFile())
        assert.ok(!(await readFile(join(entry.parentPath, entry.name))).includes(KEY), entry.name);
    }
    assert.ok(!agent.output().includes(KEY), "nor in the agent's output");

    // Chat: the reply streams in and renders as Markdown, with safe links.
    await page.getByRole('tab', { name: 'Chat' }).click();
    const box = page.getByLabel('Message');
    await box.waitFor({ timeout: 60_000 });
    await box.fill(message);
    await page.getByRole('button', { name: 'Send' }).click();
    const answer = transcript(page).getByRole('listitem').filter({ hasText: reply });
    await answer.waitFor(CHAT_TIMEOUT);
    await answer.locator('strong', { hasText: 'world' }).waitFor();
    const link = answer.getByRole('link', { name: 'the docs' });
    assert.equal(await link.getAttribute('href'), 'https://docs.example.com/start');
    assert.equal(await link.getAttribute('target'), '_blank');
    assert.match((await link.getAttribute('rel')) ?? '', /noopener/);
    await page.getByRole('button', { name: 'Send' }).waitFor();
    await screenshot(page, 'instance-chat');

    // Nothing is stored by us: after a reload the conversation is read back from the instance.
    await page.reload();
    await expectHeading(page, 'home server');
    await transcript(page).getByText(message).waitFor(CHAT_TIMEOUT);
    await transcript(page).getByRole('listitem').filter({ hasText: reply }).waitFor();
    await page.getByText('Claw Cloud does not store or log them').waitFor();

    await page.setViewportSize({ width: 360, height: 800 });
    assert.ok(await fitsWidth(page), 'the chat fits a 360 px screen');
    await screenshot(page, 'instance-chat-mobile');
    await page.getByRole('tab', { name: 'Assistant settings' }).click();
    await page.getByText('Key saved on your server').waitFor(CHAT_TIMEOUT);
    assert.ok(await fitsWidth(page), 'the settings fit a 360 px screen');
    await screenshot(page, 'instance-settings-mobile');
    await page.getByRole('tab', { name: 'Chat' }).click();
    await page.getByLabel('Message').waitFor(CHAT_TIMEOUT);

    // Logging out in another tab ends the session: the proxy closes this tab's socket (4401) and the
    // dashboard goes to Log in, saying why.
    const [socket] = await Promise.all([page.waitForEvent('websocket'), page.reload()]);
    const socketClosed = socket.waitForEvent('close', { timeout: 30_000 });
    await page.getByLabel('Message').waitFor(CHAT_TIMEOUT);
    const other = await context.newPage();
    await other.goto('/#/');
    await expectHeading(other, 'Home');
    await other.getByRole('button', { name: 'Log out' }).click();
    await expectHeading(other, 'Log in');
    await socketClosed;
    await expectHeading(page, 'Log in');
    await page.getByRole('status').filter({ hasText: 'Your session has ended' }).waitFor();

    // The server goes away: the chat says so, keeps trying with backoff, and the health shows it unreachable.
    await logIn(page, email, password, 'home server');
    await page.getByLabel('Message').waitFor(CHAT_TIMEOUT);
    await agent.kill('SIGKILL');
    await page
      .getByRole('status')
      .filter({ hasText: /Reconnecting/ })
      .waitFor({ timeout: 60_000 });
    await page.getByText('Unreachable').waitFor({ timeout: 60_000 });
    await screenshot(page, 'instance-unreachable');
  },
);
