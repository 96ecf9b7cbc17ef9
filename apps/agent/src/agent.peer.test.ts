// The agent against a REAL OpenClaw gateway (packages/testing openclaw-peer). The peer starts once for this
// file: its cold start costs 15-40 s and about 1 GB. Without a peer the tests skip, unless CI is set.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { startOpenClawPeer } from '@claw/testing/openclaw-peer';
import type { OpenClawPeer } from '@claw/testing/openclaw-peer';
import type { Agent } from './agent.ts';
import { createAgent } from './agent.ts';
import { loadAgentConfig } from './config.ts';
import {
  connectParams,
  httpsRequest,
  newKey,
  openGatewayConnection,
  sseData,
} from './testing/gateway-client.ts';
import type { Frame, GatewayConnection } from './testing/gateway-client.ts';
import type { PinnedTlsOptions } from './testing/pinned-tls.ts';
import { pinnedTlsOptions } from './testing/pinned-tls.ts';

const TEST_TIMEOUT = { timeout: 180_000 };
const CANARY = `canary-${crypto.randomBytes(12).toString('hex')}`;
const MAX_PAYLOAD = 256 * 1024;

let peer: OpenClawPeer | undefined;
let skipReason: string | undefined;
const stateDirs: string[] = [];
const agents: Agent[] = [];
const logLines: string[] = [];
/** Everything any client received from an agent: bodies and frames. */
const received: string[] = [];

let agent: Agent;
let tls: PinnedTlsOptions;
const credential = crypto.randomBytes(32).toString('base64url');
const auth = () => ({ authorization: `Bearer ${credential}` });

async function startAgent(gatewayUrl: string, token: string, now?: () => number): Promise<Agent> {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'claw-agent-'));
  stateDirs.push(stateDir);
  const config = loadAgentConfig({
    CLAW_AGENT_STATE_DIR: stateDir,
    CLAW_AGENT_HOST: '127.0.0.1',
    CLAW_AGENT_PORT: '0',
    CLAW_AGENT_GATEWAY_URL: gatewayUrl,
    OPENCLAW_GATEWAY_TOKEN: token,
    CLAW_AGENT_MAX_PAYLOAD_BYTES: String(MAX_PAYLOAD),
  });
  const started = await createAgent(config, {
    writeLog: (line) => logLines.push(line),
    ...(now ? { now } : {}),
  });
  agents.push(started);
  return started;
}

function needsPeer(t: TestContext): OpenClawPeer | undefined {
  if (peer === undefined) t.skip(skipReason);
  return peer;
}

async function register(target: Agent, body: unknown) {
  const pinned = await pinnedTlsOptions(target.url, target.fingerprint);
  const result = await httpsRequest(`${target.url}/register`, pinned, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  received.push(result.body);
  return result;
}

/** Connects as a backend operator; `clientAuth` is whatever the client puts in `params.auth` (never the token). */
async function connectOperator(clientAuth?: object): Promise<GatewayConnection> {
  const conn = await openGatewayConnection(agent.url, tls, auth());
  await conn.waitFor((frame) => frame.event === 'connect.challenge');
  const hello = await conn.request('connect', connectParams(clientAuth ? { auth: clientAuth } : {}));
  assert.equal(hello.ok, true, JSON.stringify(hello.error));
  assert.equal(hello.payload?.type, 'hello-ok');
  assert.deepEqual((hello.payload?.auth as { scopes?: unknown }).scopes, ['operator.read', 'operator.write']);
  return conn;
}

before(async () => {
  try {
    peer = await startOpenClawPeer({ llmDelayMs: 50 });
  } catch (err) {
    if (process.env.CI) throw err;
    skipReason = `OpenClaw peer unavailable: ${(err as Error).message.split('\n')[0]}`;
    return;
  }
  agent = await startAgent(peer.gatewayUrl, peer.token);
  tls = await pinnedTlsOptions(agent.url, agent.fingerprint);
});

after(async () => {
  for (const started of agents) await started.close();
  await peer?.stop();
  for (const dir of stateDirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe('agent beside a real OpenClaw gateway', () => {
  test('healthz reports the gateway ready and both versions, without secrets', TEST_TIMEOUT, async (t) => {
    const gateway = needsPeer(t);
    if (!gateway) return;
    const res = await httpsRequest(`${agent.url}/healthz`, tls);
    received.push(res.body);
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.body), {
      ok: true,
      agentVersion: '0.1.0',
      gateway: { ready: true, version: gateway.openclawVersion },
    });
  });

  test('registration: a bad code is refused, the good code works once', TEST_TIMEOUT, async (t) => {
    if (!needsPeer(t)) return;
    const code = agent.registrationCode;
    assert.ok(code);
    const bad = await register(agent, { code: `${code}x`, credential });
    assert.equal(bad.status, 401);
    const ok = await register(agent, { code, credential });
    assert.equal(ok.status, 200);
    const body = JSON.parse(ok.body) as {
      fingerprint: string;
      agentVersion: string;
      gateway: { ready: boolean };
    };
    assert.equal(body.fingerprint, agent.fingerprint);
    assert.equal(body.gateway.ready, true);
    const again = await register(agent, { code, credential: crypto.randomBytes(32).toString('base64url') });
    assert.equal(again.status, 409);
    // The first credential still works, the second was not stored.
    const health = await httpsRequest(`${agent.url}/v1/nothing`, tls, { headers: auth() });
    assert.equal(health.status, 404);
  });

  test('registration: an expired code is refused', TEST_TIMEOUT, async (t) => {
    const gateway = needsPeer(t);
    if (!gateway) return;
    let clock = Date.now();
    const fresh = await startAgent(gateway.gatewayUrl, gateway.token, () => clock);
    clock += 60 * 60_000;
    const res = await register(fresh, { code: fresh.registrationCode, credential });
    assert.equal(res.status, 401);
  });

  test(
    'WS: connect without a token, chat.send streams deltas and a final, history has the turn',
    TEST_TIMEOUT,
    async (t) => {
      if (!needsPeer(t)) return;
      // A token the client made up: the agent must replace it with the real one.
      const conn = await connectOperator({ token: 'client-supplied-guess' });
      const sessionKey = `agent-test-${newKey()}`;
      const message = `hello through the agent ${CANARY}`;
      const ack = await conn.request('chat.send', { sessionKey, message, idempotencyKey: newKey() });
      assert.equal(ack.ok, true, JSON.stringify(ack.error));
      const runId = ack.payload?.runId;
      const isChat = (frame: Frame) => frame.event === 'chat' && frame.payload?.runId === runId;
      const final = await conn.waitFor(
        (frame) => isChat(frame) && ['final', 'error'].includes(String(frame.payload?.state)),
      );
      assert.equal(final.payload?.state, 'final');
      assert.ok(conn.frames.some((frame) => isChat(frame) && frame.payload?.state === 'delta'));
      assert.match(JSON.stringify(final.payload?.message), new RegExp(`ECHO: ${message}`));
      const history = await conn.request('chat.history', { sessionKey, limit: 4 });
      assert.equal(history.ok, true);
      const text = JSON.stringify(history.payload?.messages);
      assert.ok(text.includes(message) && text.includes(`ECHO: ${message}`));
      conn.ws.close(1000);
      assert.equal((await conn.closed).code, 1000);
      received.push(...conn.frames.map((frame) => JSON.stringify(frame)));
    },
  );

  test('WS: the first frame must be a connect request', TEST_TIMEOUT, async (t) => {
    if (!needsPeer(t)) return;
    const conn = await openGatewayConnection(agent.url, tls, auth());
    await conn.waitFor((frame) => frame.event === 'connect.challenge');
    conn.ws.send(JSON.stringify({ type: 'req', id: 'x', method: 'health', params: {} }));
    assert.equal((await conn.closed).code, 1008);
  });

  test('WS: a message over maxPayload closes the client with 1009', TEST_TIMEOUT, async (t) => {
    if (!needsPeer(t)) return;
    const conn = await connectOperator();
    conn.ws.send(Buffer.alloc(MAX_PAYLOAD + 1, 'a').toString());
    assert.equal((await conn.closed).code, 1009);
  });

  test('SSE: /v1/chat/completions streams the reply through', TEST_TIMEOUT, async (t) => {
    if (!needsPeer(t)) return;
    const message = `hello over sse ${CANARY}`;
    const res = await httpsRequest(`${agent.url}/v1/chat/completions`, tls, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'openclaw/default',
        stream: true,
        messages: [{ role: 'user', content: message }],
      }),
    });
    received.push(res.body);
    assert.equal(res.status, 200);
    const data = sseData(res.body);
    assert.equal(data.at(-1), '[DONE]');
    const text = data
      .slice(0, -1)
      .map(
        (chunk) =>
          (JSON.parse(chunk) as { choices: { delta?: { content?: string } }[] }).choices[0]?.delta?.content ??
          '',
      )
      .join('');
    assert.equal(text, `ECHO: ${message}`);
    // Chunks arrive as the gateway writes them (one word per chunk upstream), not as one buffered body.
    assert.ok(res.chunks > 1, `expected a streamed body, got ${res.chunks} chunk(s)`);
  });

  test('missing or wrong credential: 401 and no upgrade', TEST_TIMEOUT, async (t) => {
    if (!needsPeer(t)) return;
    const wrong = { authorization: `Bearer ${crypto.randomBytes(32).toString('base64url')}` };
    for (const headers of [{}, wrong] as Record<string, string>[]) {
      await assert.rejects(openGatewayConnection(agent.url, tls, headers), /upgrade refused with HTTP 401/);
      const sse = await httpsRequest(`${agent.url}/v1/chat/completions`, tls, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'openclaw/default', messages: [{ role: 'user', content: CANARY }] }),
      });
      received.push(sse.body);
      assert.equal(sse.status, 401);
      assert.deepEqual(JSON.parse(sse.body), { error: { code: 'unauthorized' } });
    }
  });

  test(
    'a client pinning another fingerprint refuses the agent before sending anything',
    TEST_TIMEOUT,
    async (t) => {
      if (!needsPeer(t)) return;
      const wrongPin = crypto.randomBytes(32).toString('hex').toUpperCase().match(/../g)!.join(':');
      const pinned = await pinnedTlsOptions(agent.url, wrongPin);
      const responsesBefore = logLines.filter((line) => line.includes('"http.responded"')).length;
      await assert.rejects(
        httpsRequest(`${agent.url}/healthz`, pinned, { headers: auth() }),
        /does not match the pinned fingerprint/,
      );
      await assert.rejects(
        openGatewayConnection(agent.url, pinned, auth()),
        /does not match the pinned fingerprint/,
      );
      assert.equal(logLines.filter((line) => line.includes('"http.responded"')).length, responsesBefore);
    },
  );

  test('everything else is 404', TEST_TIMEOUT, async (t) => {
    if (!needsPeer(t)) return;
    for (const [method, route] of [
      ['GET', '/'],
      ['GET', '/v1/models'],
      ['POST', '/healthz'],
      ['GET', '/gateway'],
      ['GET', '/../etc/passwd'],
    ] as const) {
      const res = await httpsRequest(`${agent.url}${route}`, tls, { method, headers: auth() });
      assert.equal(res.status, 404, `${method} ${route}`);
    }
  });

  test(
    'no log line carries the canary, and no output or response carries the gateway token',
    TEST_TIMEOUT,
    async (t) => {
      const gateway = needsPeer(t);
      if (!gateway) return;
      // The canary really went both ways (so its absence from the log means something).
      const requests = await gateway.llm.requests();
      assert.ok(requests.some((request) => request.userText?.includes(CANARY)));
      assert.ok(received.some((text) => text.includes(`ECHO: hello through the agent ${CANARY}`)));
      assert.ok(logLines.some((line) => line.includes('"ws.closed"')));
      const log = logLines.join('');
      assert.ok(!log.includes(CANARY), 'canary found in the agent log');
      assert.ok(!log.includes(gateway.token), 'gateway token found in the agent log');
      assert.ok(!log.includes(credential), 'instance credential found in the agent log');
      for (const text of received)
        assert.ok(!text.includes(gateway.token), 'gateway token found in a response');
      for (const line of logLines) {
        const allowed = [
          'ts',
          'event',
          'connId',
          'bytesIn',
          'bytesOut',
          'messagesIn',
          'messagesOut',
          'closeCode',
          'ms',
        ];
        const extra = ['status', 'errorCode', 'port', 'fingerprint'];
        for (const key of Object.keys(JSON.parse(line) as object))
          assert.ok([...allowed, ...extra].includes(key), key);
      }
    },
  );
});
