// Adopt a server, set up its model and chat with it, all from the dashboard, against the REAL OpenClaw gateway
// behind a real agent process: browser -> control plane proxy -> agent -> gateway. The gateway starts like a
// fresh instance (no provider, no model); its fake LLM answers "ECHO: <text>" and only to the model key
// (e2e/assistant.ts). The peer costs 15-40 s and about 1 GB: one for the file. Without it the test skips,
// unless CI is set.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startAgentProcess, type AgentProcess } from '@claw/testing';
import { browserOrSkip } from '@claw/testing/browser';
import type { OpenClawPeer } from '@claw/testing/openclaw-peer';
import {
  assertModelKeyNotKept,
  CHAT_TIMEOUT,
  chat,
  recordRequests,
  setUpModel,
  startEchoPeer,
  transcript,
} from './assistant.ts';
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
const message = 'hello **world**, see [the docs](https://docs.example.com/start)';
const reply = 'ECHO: hello world, see the docs';

let peer: OpenClawPeer | undefined;
let unavailable: string | undefined;
let agent: AgentProcess | undefined;
let stack: Stack | undefined;

before(
  async () => {
    const started = await startEchoPeer();
    if ('unavailable' in started) {
      unavailable = started.unavailable;
      return;
    }
    peer = started;
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

test(
  'adopt a server, set up its model, chat with streamed Markdown, reload the history, log out, lose the server',
  { timeout: 420_000 },
  async (t) => {
    if (!peer || !agent || !stack) return t.skip(`OpenClaw peer unavailable: ${unavailable}`);
    const browser = await browserOrSkip(t);
    if (!browser) return;
    const { page, context } = await openDashboard(t, browser, stack.url);
    const requests = recordRequests(page);
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

    await instances.getByRole('link', { name: 'Open chat' }).click();
    await expectHeading(page, 'home server');
    await setUpModel(page, peer, 'instance');
    await assertModelKeyNotKept(requests, stack, agent);

    // Chat: the reply streams in and renders as Markdown, with safe links.
    const answer = await chat(page, message, reply);
    await answer.locator('strong', { hasText: 'world' }).waitFor();
    const link = answer.getByRole('link', { name: 'the docs' });
    assert.equal(await link.getAttribute('href'), 'https://docs.example.com/start');
    assert.equal(await link.getAttribute('target'), '_blank');
    assert.match((await link.getAttribute('rel')) ?? '', /noopener/);
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
