// The assistant on an instance page, used as its owner does, against the REAL OpenClaw gateway: its model set
// up and a chat turn streamed back through the pipe. The peer's fake LLM is an OpenAI-compatible endpoint that
// answers "ECHO: <text>", and only to MODEL_KEY.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { createGatewayClient, MODEL_SETTINGS_SCOPES, type SocketLike } from '@claw/openclaw';
import { dumpDatabase, type AgentProcess } from '@claw/testing';
import { startOpenClawPeer, type OpenClawPeer } from '@claw/testing/openclaw-peer';
import { screenshot } from './dashboard.ts';
import type { Stack } from './stack.ts';

export const CHAT_TIMEOUT = { timeout: 120_000 };
export const MODEL_KEY = `sk-claw-${crypto.randomUUID().replaceAll('-', '')}`;
const MODEL = 'echo-1';

/**
 * The gateway, started like a fresh instance (no provider, no model). It costs 15-40 s and about 1 GB: one per
 * file. Without it a journey skips with the reason returned, unless CI is set.
 */
export async function startEchoPeer(): Promise<OpenClawPeer | { unavailable: string }> {
  try {
    return await startOpenClawPeer({ modelProvider: 'none', llmRequiredApiKey: MODEL_KEY });
  } catch (error) {
    if (process.env.CI === 'true') throw error;
    return { unavailable: (error as Error).message.split('\n')[0] ?? 'unknown' };
  }
}

/**
 * Removes the saved key from the gateway, so that a journey sharing the file's peer starts like a new server
 * and must set the model up itself. A direct operator connection on loopback, with the token put into the
 * connect frame as the agent does (apps/agent/src/connect-frame.ts).
 */
export async function forgetModelKey(peer: OpenClawPeer): Promise<void> {
  const socket = new WebSocket(peer.gatewayUrl.replace(/^http/, 'ws'));
  const withToken: SocketLike = {
    get readyState() {
      return socket.readyState;
    },
    send(data) {
      const frame = JSON.parse(data) as { method?: string; params?: object };
      if (frame.method === 'connect') frame.params = { ...frame.params, auth: { token: peer.token } };
      socket.send(JSON.stringify(frame));
    },
    close: (code, reason) => socket.close(code, reason),
    addEventListener: (type, listener) => socket.addEventListener(type, listener as (event: Event) => void),
  };
  const client = createGatewayClient(withToken, { scopes: MODEL_SETTINGS_SCOPES });
  try {
    await client.hello;
    await client.request('models.authLogout', { provider: 'custom', credentialType: 'api_key' });
  } finally {
    socket.close();
  }
}

/** Fills a model form (Assistant settings, or the deploy wizard's optional step) with the fake LLM. */
export async function fillModel(form: Page | Locator, peer: OpenClawPeer): Promise<void> {
  await form.getByLabel('Provider').selectOption('custom');
  await form.getByLabel('Base URL').fill(peer.llmBaseUrl);
  await form.getByLabel('Default model').fill(MODEL);
  await form.getByLabel('API key').fill(MODEL_KEY);
}

/**
 * On the Chat tab of a server without a usable model: the chat asks for one instead of offering a box that
 * would fail, and Assistant settings saves it on the server and tests it there.
 */
export async function setUpModel(page: Page, peer: OpenClawPeer, shots: string): Promise<void> {
  await page.getByRole('heading', { name: 'Set up your model first' }).waitFor({ timeout: 60_000 });
  assert.equal(await page.getByLabel('Message').count(), 0, 'no chat box before the model is set up');
  await screenshot(page, `${shots}-setup-first`);

  await page.getByRole('link', { name: 'Open Assistant settings' }).click();
  await page.waitForFunction("location.hash.endsWith('?tab=settings')");
  const tab = page.getByRole('tab', { name: 'Assistant settings' });
  assert.equal(await tab.getAttribute('aria-selected'), 'true');
  await page.getByRole('definition').filter({ hasText: 'No key' }).waitFor({ timeout: 60_000 });
  await fillModel(page, peer);
  await page.getByRole('button', { name: 'Save to my server' }).click();
  await page.getByText(`Saved on your server: custom/${MODEL}.`).waitFor({ timeout: 60_000 });
  assert.equal(await page.getByLabel('API key').inputValue(), '', 'the key leaves the page once sent');
  await page.getByText('Key saved on your server').waitFor();
  await page.getByRole('button', { name: 'Test connection' }).click();
  await page.getByText('The connection works.').waitFor(CHAT_TIMEOUT);
  await screenshot(page, `${shots}-settings`);
}

export const transcript = (page: Page) => page.getByRole('log', { name: 'Conversation' });

/** Sends `message` from the Chat tab; resolves with the reply once it has streamed in and the run has ended. */
export async function chat(page: Page, message: string, reply: string): Promise<Locator> {
  await page.getByRole('tab', { name: 'Chat' }).click();
  const box = page.getByLabel('Message');
  await box.waitFor({ timeout: 60_000 });
  await box.fill(message);
  await page.getByRole('button', { name: 'Send' }).click();
  const answer = transcript(page).getByRole('listitem').filter({ hasText: reply });
  await answer.waitFor(CHAT_TIMEOUT);
  // Send replaces Stop when the run is over.
  await page.getByRole('button', { name: 'Send' }).waitFor();
  return answer;
}

/** Every HTTP request the page makes (address and body), to prove the model key never travels in one. */
export function recordRequests(page: Page): string[] {
  const requests: string[] = [];
  page.on('request', (request) => requests.push(`${request.url()} ${request.postData() ?? ''}`));
  return requests;
}

/**
 * The key went from the page to the instance only: it is in no HTTP request of the page, and nowhere on our
 * side (no table, log line or file of the control plane), nor in the agent's output.
 */
export async function assertModelKeyNotKept(
  requests: string[],
  stack: Stack,
  agent: AgentProcess,
): Promise<void> {
  assert.ok(
    !requests.some((request) => request.includes(MODEL_KEY)),
    'the model key was never sent to our API',
  );
  assert.ok(!(await dumpDatabase(stack.database)).includes(MODEL_KEY), 'the model key is in no table');
  assert.ok(!stack.logLines().join('\n').includes(MODEL_KEY), 'nor in a log line');
  for (const entry of await readdir(stack.dataDir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile())
      assert.ok(!(await readFile(join(entry.parentPath, entry.name))).includes(MODEL_KEY), entry.name);
  }
  assert.ok(!agent.output().includes(MODEL_KEY), "nor in the agent's output");
}
