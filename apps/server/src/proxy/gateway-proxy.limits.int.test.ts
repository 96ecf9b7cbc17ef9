// Limits of the pipe, with a flooding stand-in at the gateway's place (a real assistant cannot produce
// enough traffic) behind the real agent process.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { startAgentProcess, startFloodGateway, type AgentProcess, type FloodGateway } from '@claw/testing';
import { adoptedInstance, startTestPlane, type TestPlane } from '../test-support.ts';
import { openChat, upgradeStatus } from './chat-test-client.ts';

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** A control plane with the given limits, a user, and an adopted agent in front of a flooding gateway. */
async function rig(env: Record<string, string>) {
  const gateway: FloodGateway = await startFloodGateway();
  const agent: AgentProcess = await startAgentProcess({
    gatewayUrl: gateway.url,
    gatewayToken: 'flood-token',
  });
  const t: TestPlane = await startTestPlane({
    CLAW_AGENT_ALLOW_PRIVATE_NETWORKS: 'true',
    CLAW_PROXY_SESSION_CHECK_MS: '200',
    ...env,
  });
  cleanups.push(
    () => gateway.close(),
    () => agent.stop(),
    () => t.close(),
  );
  const user = await t.signUp();
  const instanceId = await adoptedInstance(user.client, agent, 'flood');
  const open = async () => {
    const chat = await openChat(t.plane.url, user.client, instanceId);
    await chat.gateway.hello;
    return chat;
  };
  return { t, user, gateway, agent, instanceId: instanceId as string, open };
}

const waitFor = async (check: () => boolean, ms: number) => {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
};

describe('backpressure', () => {
  test('a reader that stops reading stops the gateway; nothing piles up in the proxy; nothing is lost', async () => {
    const r = await rig({});
    const chat = await r.open();
    let received = 0;
    chat.ws.on('message', (data: Buffer) => (received += data.length));
    const total = 96 * 1024 * 1024;
    const socket = (chat.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();
    chat.gateway.request('flood', { total, size: 64 * 1024 }).catch(() => {});
    // Let the flood run against a reader that reads nothing.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    // About 16 MB fill the kernel buffers of the three hops and the high-water marks; an unbounded proxy would take all 96.
    const sentWhileStalled = r.gateway.sent().at(-1) ?? 0;
    assert.ok(sentWhileStalled > 0, 'the gateway started sending');
    assert.ok(
      sentWhileStalled < 48 * 1024 * 1024,
      `the gateway sent ${sentWhileStalled} bytes into a stalled pipe`,
    );
    socket.resume();
    await waitFor(() => received >= total, 60_000);
    assert.ok(received >= total, `received ${received} of ${total}`);
    chat.ws.close();
  });

  test('past the hard bound the socket is closed with 1013 instead of buffering', async () => {
    const r = await rig({ CLAW_PROXY_HIGH_WATER_BYTES: '262144', CLAW_PROXY_HARD_LIMIT_BYTES: '262144' });
    const chat = await r.open();
    (chat.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    chat.gateway.request('flood', { total: 64 * 1024 * 1024, size: 64 * 1024 }).catch(() => {});
    // The proxy gives up on the reader instead of buffering for it: its side to the instance closes.
    await waitFor(() => /"event":"ws\.closed"/.test(r.agent.output()), 20_000);
    assert.match(r.agent.output(), /"event":"ws\.closed"/);
    assert.ok((r.gateway.sent().at(-1) ?? 0) < 48 * 1024 * 1024);
    (chat.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    // The close frame queued behind the data arrives if the reader catches up within the grace; else the socket is cut.
    assert.ok([1013, 1006].includes((await chat.closed).code));
  });
});

describe('limits', () => {
  test('a browser sending faster than the message rate is closed with 1008', async () => {
    const r = await rig({ CLAW_PROXY_MAX_MESSAGES_PER_SECOND: '5' });
    const chat = await r.open();
    for (let i = 0; i < 30 && chat.ws.readyState === chat.ws.OPEN; i++)
      chat.ws.send('{"type":"req","id":"x","method":"noop"}');
    assert.equal((await chat.closed).code, 1008);
  });

  test('a user may hold only so many sockets at once', async () => {
    const r = await rig({ CLAW_PROXY_MAX_SOCKETS_PER_USER: '2' });
    const first = await r.open();
    const second = await r.open();
    assert.equal(await upgradeStatus(r.t.plane.url, r.user.client, r.instanceId), 429);
    first.ws.close();
    await first.closed;
    await waitFor(() => false, 100);
    const third = await r.open();
    second.ws.close();
    third.ws.close();
  });

  test('an idle socket is closed with 4408', async () => {
    const r = await rig({ CLAW_PROXY_IDLE_TIMEOUT_MS: '600' });
    const chat = await r.open();
    assert.equal((await chat.closed).code, 4408);
  });

  test('deleting the account closes its sockets within 5 s, with 4401', async () => {
    const r = await rig({});
    const chat = await r.open();
    const at = performance.now();
    assert.equal((await r.user.client.delete('/api/me', { password: r.user.password })).status, 204);
    const closed = await chat.closed;
    assert.equal(closed.code, 4401);
    assert.ok(closed.at - at < 5_000);
  });
});

describe('invariant: the platform never drives an instance on its own', () => {
  test('the gateway connection is opened in one place only, inside an authorised browser upgrade', async () => {
    const source = (path: string) => readFile(new URL(path, import.meta.url), 'utf8');
    const proxy = await source('./gateway-proxy.ts');
    const callers = proxy.match(/\.openGateway\(/g) ?? [];
    assert.equal(callers.length, 1, 'openGateway is called once, in relay()');
    const relayStart = proxy.indexOf('function relay(');
    assert.ok(proxy.indexOf('.openGateway(') > relayStart, 'and that call is inside relay()');
    assert.match(
      proxy,
      /if \(!verdict\.ok\) \{\s*log\.info\([^;]*\);\s*return refuse\(socket, verdict\.status, verdict\.reason\);\s*\}\s*if \(acceptWebSocket\(req, socket\)\) relay\(socket, head, req, verdict\);/,
      'relay() follows only an authorised upgrade',
    );
    assert.equal(
      proxy.match(/relay\(/g)?.length,
      2,
      'relay is defined once and called only from the upgrade',
    );
    // openGateway is the only way to an instance's /gateway, and nothing else in the server takes it.
    const client = await source('../instances/agent-client.ts');
    assert.equal(client.match(/openUpstream\(/g)?.length, 1, 'openUpstream is called by openGateway only');
    const root = new URL('../', import.meta.url);
    for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name.endsWith('.test.ts')) continue;
      const file = join(entry.parentPath, entry.name);
      const text = await readFile(file, 'utf8');
      if (!file.endsWith('proxy/gateway-proxy.ts')) assert.doesNotMatch(text, /\.openGateway\(/, file);
      if (!/(instances\/agent-client|proxy\/upstream-handshake)\.ts$/.test(file))
        assert.doesNotMatch(text, /openUpstream\(/, file);
      // The upgrade beneath it serves the gateway and, separately, only the support tunnel's fixed path.
      if (!/(proxy\/upstream-handshake|support\/support-tunnel|instances\/agent-upgrade)\.ts$/.test(file))
        assert.doesNotMatch(text, /upgradeAgentConnection\(/, file);
    }
    assert.match(
      await source('../support/support-tunnel.ts'),
      /new URL\('\/support\/tunnel', endpoint\.url\)/,
      'the support tunnel opens /support/tunnel, never /gateway',
    );
    // What the instance receives: the upgrade request (written once, after the pinning check), then only
    // the browser's own bytes and, from the proxy, at most one close frame.
    const handshake = await source('../instances/agent-upgrade.ts');
    assert.equal(handshake.match(/\.write\(/g)?.length, 1, 'the upgrade request is the one write');
    assert.match(handshake, /socket\.once\('secureConnect', \(\) => socket\.write\(request\)\)/);
    const splice = await source('./splice.ts');
    assert.deepEqual(
      (splice.match(/[\w.]+\.write\((?:[^()]|\([^()]*\))*\)/g) ?? []).sort(),
      ['dest.write(chunk)', 'socket.write(encodeCloseFrame(code, reason, masked))'],
      'the splice writes forwarded chunks and close frames, nothing else',
    );
    assert.deepEqual(
      splice.match(/this\.forward\(this\.upstream,[^)]*\)/g),
      ['this.forward(this.upstream, this.browser, chunk, false)'],
      'what is forwarded to the instance is the browser chunk just scanned',
    );
    assert.match(
      splice,
      /private passBrowser\(chunk: Buffer\): void \{[^}]*this\.scanned\(this\.fromBrowser, chunk, false\)\) this\.forward\(this\.upstream/,
    );
    assert.equal(splice.match(/closeSide\(this\.upstream,/g)?.length, 1, 'one close frame at most');
    assert.doesNotMatch(proxy + splice, /upstream(\.socket)?\.(write|end)\(/);
  });
});
