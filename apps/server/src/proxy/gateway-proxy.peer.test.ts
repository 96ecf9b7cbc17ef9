// The pipe end to end against the REAL OpenClaw gateway: browser-like client -> control plane proxy ->
// agent (its own process) -> gateway in a loopback-only namespace. The peer starts once for the file.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { dumpDatabase, startAgentProcess, type AgentProcess } from '@claw/testing';
import { startOpenClawPeer, type OpenClawPeer } from '@claw/testing/openclaw-peer';
import { fetchPeerCertificate } from '../instances/agent-tls.ts';
import { adoptAgent, startTestPlane, type TestPlane } from '../test-support.ts';
import { chatTurn, openChat, upgradeStatus } from './chat-test-client.ts';

const canary = `CANARY-${crypto.randomUUID()}`;
const maxMessage = 64 * 1024;

let peer: OpenClawPeer | undefined;
let unavailable: string | undefined;
let agent: AgentProcess;
let t: TestPlane;
let alice: Awaited<ReturnType<TestPlane['signUp']>>;
let instanceId: string;
const extraAgents: AgentProcess[] = [];

before(async () => {
  try {
    peer = await startOpenClawPeer();
  } catch (error) {
    if (process.env.CI === 'true') throw error;
    unavailable = (error as Error).message;
    return;
  }
  agent = await startAgentProcess({ gatewayUrl: peer.gatewayUrl, gatewayToken: peer.token });
  t = await startTestPlane({
    CLAW_AGENT_ALLOW_PRIVATE_NETWORKS: 'true',
    CLAW_PROXY_SESSION_CHECK_MS: '500',
    CLAW_PROXY_MAX_MESSAGE_BYTES: String(maxMessage),
  });
  alice = await t.signUp();
  await t.database.query(`update users set plan_id = 'pro' where id = $1`, [alice.id]);
});

after(async () => {
  await Promise.allSettled([...extraAgents, ...(agent ? [agent] : [])].map((a) => a.stop()));
  await t?.close();
  await peer?.stop();
});

function needsPeer(ctx: TestContext): boolean {
  if (!unavailable) return true;
  ctx.skip(
    `OpenClaw peer unavailable (${unavailable}); run 'node packages/testing/src/openclaw-peer/install.ts'`,
  );
  return false;
}

describe('adopting an existing server', () => {
  test('a fingerprint that does not match the certificate is refused before anything is sent', async (ctx) => {
    if (!needsPeer(ctx)) return;
    const wrong = '00:'.repeat(31) + '00';
    const response = await adoptAgent(alice.client, agent, { fingerprint: wrong });
    assert.equal(response.status, 400);
    assert.equal(response.json.error.code, 'instance.fingerprint_mismatch');
    assert.doesNotMatch(agent.output(), /agent\.registered/);
  });

  test('the right details adopt it; it is ready and reports its versions', async (ctx) => {
    if (!needsPeer(ctx)) return;
    const response = await adoptAgent(alice.client, agent, {
      fingerprint: agent.fingerprint.toLowerCase().replaceAll(':', ''),
    });
    assert.equal(response.status, 201, JSON.stringify(response.json));
    instanceId = response.json.instance.id;
    assert.equal(response.json.instance.status, 'ready');
    assert.equal(response.json.instance.agentFingerprint, agent.fingerprint);
    assert.equal(response.json.instance.openclawVersion, peer?.openclawVersion);
    const health = await alice.client.get(`/api/instances/${instanceId}/health`);
    assert.equal(health.json.health.gateway.ready, true);
  });

  test('the one-time code cannot be used twice', async (ctx) => {
    if (!needsPeer(ctx)) return;
    const response = await adoptAgent(alice.client, agent);
    assert.equal(response.status, 400);
    assert.equal(response.json.error.code, 'instance.registration_refused');
  });

  test("another user cannot see, use or get a ticket for someone else's instance", async (ctx) => {
    if (!needsPeer(ctx)) return;
    const bob = await t.signUp();
    assert.equal((await bob.client.get(`/api/instances/${instanceId}`)).status, 404);
    assert.equal((await bob.client.post(`/api/instances/${instanceId}/tickets`)).status, 404);
    assert.equal((await bob.client.get(`/api/instances/${instanceId}/health`)).status, 404);
    const aliceTicket = (await alice.client.post(`/api/instances/${instanceId}/tickets`)).json.ticket;
    assert.equal(await upgradeStatus(t.plane.url, bob.client, instanceId, { ticket: aliceTicket }), 401);
    const sse = await bob.client.post(`/api/instances/${instanceId}/chat/completions`, {
      model: 'openclaw/default',
      messages: [],
    });
    assert.equal(sse.status, 404);
  });
});

describe('chat through the pipe', () => {
  test('WebSocket: chat.send streams the reply, and history is read live from the instance', async (ctx) => {
    if (!needsPeer(ctx)) return;
    const chat = await openChat(t.plane.url, alice.client, instanceId);
    const hello = await chat.gateway.hello;
    assert.equal(hello.type, 'hello-ok');
    const sessionKey = `cc-${crypto.randomUUID()}`;
    const turn = await chatTurn(chat.gateway, sessionKey, `hello ${canary}`);
    assert.equal(turn.finalText, `ECHO: hello ${canary}`);
    assert.ok(turn.deltas.length >= 1);
    const history = await chat.gateway.history(sessionKey);
    assert.ok(history.some((m) => m.role === 'assistant' && JSON.stringify(m.content).includes(canary)));
    chat.ws.close(1000);
    await chat.closed;
  });

  test('SSE: /chat/completions streams through unbuffered', async (ctx) => {
    if (!needsPeer(ctx)) return;
    const response = await fetch(new URL(`/api/instances/${instanceId}/chat/completions`, t.plane.url), {
      method: 'POST',
      headers: {
        origin: new URL(t.plane.url).origin,
        'content-type': 'application/json',
        cookie: alice.client.cookie ?? '',
      },
      body: JSON.stringify({
        model: 'openclaw/default',
        stream: true,
        messages: [{ role: 'user', content: `sse ${canary}` }],
      }),
    });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
    const text = await response.text();
    const content = text
      .split('\n')
      .filter((line) => line.startsWith('data: {'))
      .map((line) => JSON.parse(line.slice(6)).choices?.[0]?.delta?.content ?? '')
      .join('');
    assert.equal(content, `ECHO: sse ${canary}`);
    assert.match(text, /data: \[DONE\]/);
  });

  test('each connection leaves one metadata-only audit row with sizes and counts', async (ctx) => {
    if (!needsPeer(ctx)) return;
    const rows = await t.database.query<{
      bytes_in: number;
      bytes_out: number;
      messages_in: number;
      close_code: number;
    }>(
      `select bytes_in, bytes_out, messages_in, close_code from audit_log where user_id = $1 and event = 'proxy.connection'`,
      [alice.id],
    );
    assert.ok(rows.length >= 1);
    const row = rows[0];
    assert.ok(row && Number(row.bytes_in) > 0 && Number(row.bytes_out) > 0 && row.messages_in >= 2);
    assert.equal(row?.close_code, 1000);
  });
});

describe('refused before any upgrade, and no connection to the instance is opened', () => {
  test('bad or missing Origin, no cookie, no, reused or stale ticket', async (ctx) => {
    if (!needsPeer(ctx)) return;
    const upstreamOpens = () => agent.output().match(/"event":"ws\.opened"/g)?.length ?? 0;
    const before = upstreamOpens();
    const url = t.plane.url;
    assert.equal(await upgradeStatus(url, alice.client, instanceId, { origin: 'https://evil.example' }), 403);
    assert.equal(await upgradeStatus(url, alice.client, instanceId, { origin: null }), 403);
    assert.equal(await upgradeStatus(url, alice.client, instanceId, { ticket: null }), 401);
    assert.equal(await upgradeStatus(url, alice.client, instanceId, { ticket: 'made-up-ticket' }), 401);
    const anonymous = t.client();
    const ticket = (await alice.client.post(`/api/instances/${instanceId}/tickets`)).json.ticket;
    assert.equal(await upgradeStatus(url, anonymous, instanceId, { ticket }), 401);
    assert.equal(
      await upgradeStatus(url, alice.client, instanceId, { ticket }),
      401,
      'a ticket is spent by any attempt',
    );
    const stale = (await alice.client.post(`/api/instances/${instanceId}/tickets`)).json.ticket;
    await t.database.query(`update connection_tickets set expires_at = now() - interval '1 second'`);
    assert.equal(await upgradeStatus(url, alice.client, instanceId, { ticket: stale }), 401);
    assert.equal(upstreamOpens(), before);
  });
});

describe('limits and failures', () => {
  test('an oversized message closes the socket with 1009', async (ctx) => {
    if (!needsPeer(ctx)) return;
    const chat = await openChat(t.plane.url, alice.client, instanceId);
    await chat.gateway.hello;
    chat.ws.send('x'.repeat(maxMessage + 1));
    assert.equal((await chat.closed).code, 1009);
  });

  test('an instance presenting another certificate is refused with 1014', async (ctx) => {
    if (!needsPeer(ctx) || !peer) return;
    const impostor = await startAgentProcess({ gatewayUrl: peer.gatewayUrl, gatewayToken: 'not-the-token' });
    extraAgents.push(impostor);
    const [saved] = await t.database.query<{ agent_url: string }>(
      `select agent_url from instances where id = $1`,
      [instanceId],
    );
    await t.database.query(`update instances set agent_url = $2 where id = $1`, [instanceId, impostor.url]);
    try {
      const chat = await openChat(t.plane.url, alice.client, instanceId);
      assert.equal((await chat.closed).code, 1014);
      assert.doesNotMatch(impostor.output(), /"event":"ws\.opened"/);
    } finally {
      await t.database.query(`update instances set agent_url = $2 where id = $1`, [
        instanceId,
        saved?.agent_url,
      ]);
    }
    assert.ok((await fetchPeerCertificate(new URL(impostor.url))).length > 0);
  });

  test('the instance dying mid-stream gives the browser a defined close code within 5 s', async (ctx) => {
    if (!needsPeer(ctx) || !peer) return;
    const second = await startAgentProcess({ gatewayUrl: peer.gatewayUrl, gatewayToken: peer.token });
    extraAgents.push(second);
    const adopted = await adoptAgent(alice.client, second, { name: 'second' });
    assert.equal(adopted.status, 201, JSON.stringify(adopted.json));
    const chat = await openChat(t.plane.url, alice.client, adopted.json.instance.id);
    await chat.gateway.hello;
    const killedAt = performance.now();
    await second.kill('SIGKILL');
    const closed = await chat.closed;
    assert.equal(closed.code, 1011);
    assert.ok(closed.at - killedAt < 5_000, `closed after ${Math.round(closed.at - killedAt)} ms`);
  });

  test("logging out closes that session's sockets within 5 s", async (ctx) => {
    if (!needsPeer(ctx)) return;
    const aliceSession = t.client();
    await aliceSession.post('/api/auth/login', { email: alice.email, password: alice.password });
    const chat = await openChat(t.plane.url, aliceSession, instanceId);
    await chat.gateway.hello;
    const loggedOutAt = performance.now();
    assert.equal((await aliceSession.post('/api/auth/logout')).status, 204);
    const closed = await chat.closed;
    assert.equal(closed.code, 4401);
    assert.ok(closed.at - loggedOutAt < 5_000);
  });
});

describe('a pipe, not a bucket', () => {
  test('the canary sent both ways is in no table, no log line, no process output, no file we wrote', async (ctx) => {
    if (!needsPeer(ctx)) return;
    assert.ok(!(await dumpDatabase(t.database)).includes(canary), 'database');
    assert.ok(!t.log.lines.join('\n').includes(canary), 'control plane log');
    assert.ok(!agent.output().includes(canary), 'agent output');
    for (const dir of [t.plane.config.dataDir, agent.stateDir]) {
      for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
        if (!entry.isFile()) continue;
        const file = join(entry.parentPath, entry.name);
        assert.ok(!(await readFile(file)).includes(canary), file);
      }
    }
  });
});
