// Model settings against a REAL OpenClaw gateway, the way the dashboard reaches it: this client over a pinned
// WebSocket to a real agent process, which injects the gateway token. The gateway starts like a fresh instance
// (no provider, no model) and its fake LLM accepts only KEY. The peer costs 15-40 s and about 1 GB: one per
// file. Without a peer the tests skip, unless CI is set.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import WebSocket from 'ws';
import { startAgentProcess, type AgentProcess } from '@claw/testing';
import { startOpenClawPeer, type OpenClawPeer } from '@claw/testing/openclaw-peer';
// Pinning and HTTPS as the control plane does them, from the agent's own test helpers.
import { httpsRequest } from '../../../apps/agent/src/testing/gateway-client.ts';
import { pinnedTlsOptions, type PinnedTlsOptions } from '../../../apps/agent/src/testing/pinned-tls.ts';
import { textOf, type ChatEvent, type HelloOk } from './frames.ts';
import { createGatewayClient, type GatewayClient, type OperatorScope } from './gateway-client.ts';
import {
  MODEL_SETTINGS_SCOPES,
  readModelStatus,
  setModelProvider,
  testModelConnection,
} from './model-settings.ts';

const TEST_TIMEOUT = { timeout: 180_000 };
const CHAT_TIMEOUT_MS = 120_000;
const KEY = `sk-claw-${crypto.randomBytes(16).toString('hex')}`;
const WRONG_KEY = `sk-wrong-${crypto.randomBytes(16).toString('hex')}`;

let peer: OpenClawPeer | undefined;
let skipReason: string | undefined;
let agent: AgentProcess;
let tls: PinnedTlsOptions;
const credential = crypto.randomBytes(32).toString('base64url');
const sockets: WebSocket[] = [];
/** Every frame any client received through the pipe. */
const received: string[] = [];

function needsPeer(t: TestContext): OpenClawPeer | undefined {
  if (peer === undefined) t.skip(skipReason);
  return peer;
}

async function connect(
  scopes?: readonly OperatorScope[],
): Promise<{ client: GatewayClient; hello: HelloOk }> {
  const ws = new WebSocket(`${agent.url.replace(/^https/, 'wss')}/gateway`, {
    ...tls,
    headers: { authorization: `Bearer ${credential}` },
    perMessageDeflate: false,
  });
  sockets.push(ws);
  ws.on('message', (data: Buffer) => received.push(data.toString('utf8')));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const client = createGatewayClient(ws as never, scopes ? { scopes } : {});
  return { client, hello: await client.hello };
}

/** Sends one message and resolves with the run's first terminal chat event (final, error or aborted). */
function chatTurn(client: GatewayClient, sessionKey: string, message: string): Promise<ChatEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no end of the chat turn in ${sessionKey}`)),
      CHAT_TIMEOUT_MS,
    );
    const stop = client.onChat(sessionKey, (event) => {
      if (event.state === 'status' || event.state === 'delta') return;
      clearTimeout(timer);
      stop();
      resolve(event);
    });
    client.send(sessionKey, message, crypto.randomUUID()).catch(reject);
  });
}

/** The files under `dir` whose bytes contain `needle`, relative to `dir`. */
function filesContaining(dir: string, needle: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .filter((file) => fs.readFileSync(file).includes(needle))
    .map((file) => path.relative(dir, file));
}

before(async () => {
  try {
    peer = await startOpenClawPeer({ modelProvider: 'none', llmRequiredApiKey: KEY });
  } catch (err) {
    if (process.env.CI) throw err;
    skipReason = `OpenClaw peer unavailable: ${(err as Error).message.split('\n')[0]}`;
    return;
  }
  agent = await startAgentProcess({ gatewayUrl: peer.gatewayUrl, gatewayToken: peer.token });
  tls = await pinnedTlsOptions(agent.url, agent.fingerprint);
  const registered = await httpsRequest(`${agent.url}/register`, tls, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code: agent.registrationCode, credential }),
  });
  assert.equal(registered.status, 200, registered.body);
});

after(async () => {
  for (const ws of sockets) ws.close();
  await agent?.stop();
  await peer?.stop();
});

describe('model settings through the pipe, against a real gateway', () => {
  test(
    'before setup: no model, and a chat turn ends in an error instead of an answer',
    TEST_TIMEOUT,
    async (t) => {
      const gateway = needsPeer(t);
      if (!gateway) return;
      const { client, hello } = await connect();
      assert.equal(hello.snapshot?.sessionDefaults?.modelConfigured, false);
      assert.deepEqual(await readModelStatus(client), { state: 'no-model' });
      const end = await chatTurn(client, 'cc-before-setup', 'hello before setup');
      assert.equal(end.state, 'error');
      assert.deepEqual(await gateway.llm.requests(), [], 'nothing reached the provider');
    },
  );

  test('a chat connection (read/write) cannot change model settings', TEST_TIMEOUT, async (t) => {
    const gateway = needsPeer(t);
    if (!gateway) return;
    const { client } = await connect();
    const settings = {
      provider: 'custom',
      model: 'echo-1',
      baseUrl: gateway.llmBaseUrl,
      apiKey: KEY,
    } as const;
    await assert.rejects(setModelProvider(client, settings), {
      name: 'ModelSettingsError',
      code: 'forbidden',
      method: 'config.patch',
    });
    assert.deepEqual(await readModelStatus(client), { state: 'no-model' });
  });

  test(
    'a wrong key is saved, and the probe from the instance reports an auth failure',
    TEST_TIMEOUT,
    async (t) => {
      const gateway = needsPeer(t);
      if (!gateway) return;
      const { client } = await connect(MODEL_SETTINGS_SCOPES);
      const saved = await setModelProvider(client, {
        provider: 'custom',
        model: 'echo-1',
        baseUrl: gateway.llmBaseUrl,
        apiKey: WRONG_KEY,
      });
      assert.deepEqual(saved, { model: 'custom/echo-1' });
      assert.deepEqual(await readModelStatus(client), {
        state: 'configured',
        model: 'custom/echo-1',
        provider: 'custom',
        credentialStatus: 'static',
      });
      const probe = await testModelConnection(client, 'custom');
      assert.equal(probe.ok, false);
      assert.equal(probe.status, 'auth');
      assert.equal(probe.error, 'Authentication failed.');
      const requests = await gateway.llm.requests();
      assert.deepEqual(
        requests.map((request) => request.auth),
        ['rejected'],
        'the probe reached the provider, which refused the key',
      );
    },
  );

  test('with the right key the probe passes and chat answers', TEST_TIMEOUT, async (t) => {
    const gateway = needsPeer(t);
    if (!gateway) return;
    const { client } = await connect(MODEL_SETTINGS_SCOPES);
    // Straight after the wrong key's failure: replacing the key must not inherit its auth cooldown.
    await setModelProvider(client, {
      provider: 'custom',
      model: 'echo-1',
      baseUrl: gateway.llmBaseUrl,
      apiKey: KEY,
    });
    const probe = await testModelConnection(client, 'custom');
    assert.equal(probe.ok, true, JSON.stringify(probe));
    assert.equal(probe.status, 'ok');
    const end = await chatTurn(client, 'cc-after-setup', 'hello after setup');
    assert.equal(end.state, 'final', JSON.stringify(end));
    assert.equal(textOf(end.message?.content), 'ECHO: hello after setup');
    const { hello } = await connect();
    assert.equal(hello.snapshot?.sessionDefaults?.modelConfigured, true);
  });

  test(
    "the key is in the instance's state database, and openclaw.json only names its profile",
    TEST_TIMEOUT,
    async (t) => {
      const gateway = needsPeer(t);
      if (!gateway) return;
      const configText = fs.readFileSync(path.join(gateway.home, '.openclaw/openclaw.json'), 'utf8');
      assert.ok(!configText.includes(KEY) && !configText.includes(WRONG_KEY));
      const config = JSON.parse(configText) as {
        models: { providers: Record<string, { apiKey?: unknown; baseUrl?: string }> };
        auth: { profiles: Record<string, unknown> };
      };
      assert.equal(config.models.providers.custom?.apiKey, 'custom:manual');
      assert.equal(config.models.providers.custom?.baseUrl, gateway.llmBaseUrl);
      assert.deepEqual(config.auth.profiles['custom:manual'], { provider: 'custom', mode: 'api_key' });
      const holders = filesContaining(gateway.home, KEY);
      assert.ok(holders.length > 0, 'the key is stored somewhere on the instance');
      for (const file of holders) assert.match(file, /^\.openclaw\/state\/openclaw\.sqlite(-wal)?$/);
    },
  );

  test(
    'the key never comes back: not in any frame received, nor in the agent output or the LLM log',
    TEST_TIMEOUT,
    async (t) => {
      const gateway = needsPeer(t);
      if (!gateway) return;
      assert.ok(received.length > 0);
      const llmLog = JSON.stringify(await gateway.llm.requests());
      for (const secret of [KEY, WRONG_KEY]) {
        assert.ok(!received.some((frame) => frame.includes(secret)), 'a frame received by a client');
        assert.ok(!agent.output().includes(secret), "the agent's output");
        assert.ok(!llmLog.includes(secret), "the fake LLM's request log");
      }
    },
  );
});
