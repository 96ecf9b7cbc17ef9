// npm run bench — the chat proxy against a direct connection, a minimal ws-to-ws relay and the floor of any
// proxy in its own process (a byte pipe that reads and enforces nothing), in one run on this machine,
// reported as ratios. Everything is on 127.0.0.1; every loop is bounded in count and time.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { createHttpClient } from '@claw/testing';
import { startFakeAgent } from './fake-agent.ts';

const repo = new URL('..', import.meta.url).pathname;
const message = 'x'.repeat(1024);

function child(
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
): Promise<{ proc: ChildProcess; match: RegExpExecArray }> {
  const proc = spawn(process.execPath, args, {
    cwd: repo,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start:\n${out}`)), 60_000);
    proc.stdout?.on('data', (chunk: Buffer) => {
      out += chunk;
      const match = ready.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ proc, match });
      }
    });
    proc.once('exit', () => reject(new Error(`${args.join(' ')} exited:\n${out}`)));
  });
}

// utime + stime of a process, in µs (clock ticks are 10 ms: measure over seconds).
const cpuMicros = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
};
const rssKiB = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

function open(factory: () => WebSocket): Promise<WebSocket> {
  const ws = factory();
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

async function latency(ws: WebSocket, rounds: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = process.hrtime.bigint();
    await new Promise<void>((resolve) => {
      ws.once('message', () => resolve());
      ws.send(message);
    });
    times.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  return times.sort((a, b) => a - b);
}

async function throughput(sockets: WebSocket[], seconds: number, window: number): Promise<number> {
  let received = 0;
  let running = true;
  for (const ws of sockets) {
    ws.on('message', () => {
      received++;
      if (running) ws.send(message);
    });
    for (let i = 0; i < window; i++) ws.send(message);
  }
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  running = false;
  await new Promise((resolve) => setTimeout(resolve, 200));
  return received / seconds;
}

async function main(): Promise<void> {
  const agent = await startFakeAgent();
  const certFile = join(mkdtempSync(join(tmpdir(), 'claw-bench-')), 'agent.pem');
  writeFileSync(certFile, agent.certificate.certPem);
  const pin = {
    ca: agent.certificate.certPem,
    checkServerIdentity: () => undefined,
    perMessageDeflate: false,
  };
  const agentWs = `${agent.url.replace('https', 'wss')}/gateway`;

  const plane = await child(
    ['apps/server/src/cli.ts', 'start'],
    {
      CLAW_PORT: '0',
      CLAW_DATA_DIR: mkdtempSync(join(tmpdir(), 'claw-bench-plane-')),
      CLAW_AGENT_ALLOW_PRIVATE_NETWORKS: 'true',
      CLAW_PROXY_MAX_SOCKETS_PER_USER: '6000',
      CLAW_PROXY_MAX_MESSAGES_PER_SECOND: '1000000',
      CLAW_LOG_LEVEL: 'warn',
    },
    /running at (http:\/\/\S+)/,
  );
  const planeUrl = plane.match[1] ?? '';
  const relay = await child(['bench/minimal-relay.ts', agentWs, certFile], {}, /^(\d+)$/m);
  const relayUrl = `ws://127.0.0.1:${relay.match[1]}`;
  const floor = await child(['bench/raw-pipe.ts', agent.url, certFile], {}, /^(\d+)$/m);
  const floorUrl = `ws://127.0.0.1:${floor.match[1]}/gateway`;

  const user = createHttpClient(planeUrl);
  await user.post('/api/auth/signup', { email: 'bench@example.com', password: 'benchmark password' });
  const adopted = await user.post('/api/instances/adopt', {
    name: 'bench',
    agentUrl: agent.url,
    fingerprint: agent.certificate.fingerprint,
    registrationCode: 'bench',
  });
  const instanceId = adopted.json.instance.id as string;
  const proxyWs = async () => {
    const { ticket } = (await user.post(`/api/instances/${instanceId}/tickets`)).json;
    return new WebSocket(
      `${planeUrl.replace('http', 'ws')}/api/instances/${instanceId}/gateway?ticket=${ticket}`,
      {
        headers: { origin: planeUrl, cookie: user.cookie ?? '' },
        perMessageDeflate: false,
      },
    );
  };
  const paths = {
    direct: async () => new WebSocket(agentWs, pin),
    floor: async () => new WebSocket(floorUrl, { perMessageDeflate: false }),
    relay: async () => new WebSocket(relayUrl, { perMessageDeflate: false }),
    proxy: proxyWs,
  };
  const pids = {
    direct: 0,
    floor: floor.proc.pid ?? 0,
    relay: relay.proc.pid ?? 0,
    proxy: plane.proc.pid ?? 0,
  };

  const results: Record<string, { p50: number; p99: number; rate: number; cpuPerMessage: number }> = {};
  for (const [name, make] of Object.entries(paths) as [keyof typeof paths, () => Promise<WebSocket>][]) {
    const ws = await open(await make().then((w) => () => w));
    await latency(ws, 300);
    const times = await latency(ws, 3000);
    ws.close();
    const sockets = await Promise.all(
      Array.from({ length: 64 }, async () => open(await make().then((w) => () => w))),
    );
    const cpuBefore = pids[name] ? cpuMicros(pids[name]) : 0;
    const rate = await throughput(sockets, 3, 16);
    // CPU the middle process spent per message relayed (both directions), whoever was the bottleneck.
    const cpuPerMessage = pids[name] ? (cpuMicros(pids[name]) - cpuBefore) / (rate * 3.2) : 0;
    for (const socket of sockets) socket.terminate();
    results[name] = { p50: percentile(times, 0.5), p99: percentile(times, 0.99), rate, cpuPerMessage };
  }

  // Counted as the growth while the sockets open, everything the process does for them included (for the
  // proxy: tickets, sessions and the embedded database). A warm-up round would hide the cost: memory freed
  // by the first round is reused by the second without growing RSS.
  async function idleRss(pid: number, make: () => Promise<WebSocket>, count: number): Promise<number> {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const before = rssKiB(pid);
    const sockets: WebSocket[] = [];
    for (let i = 0; i < count; i += 250) {
      sockets.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(250, count - i) }, async () =>
            open(await make().then((w) => () => w)),
          ),
        )),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const after = rssKiB(pid);
    for (const socket of sockets) socket.terminate();
    return ((after - before) * 1024) / count;
  }
  const idleCount = 5000;
  const relayIdle = await idleRss(pids.relay, paths.relay, idleCount);
  const floorIdle = await idleRss(pids.floor, paths.floor, idleCount);
  const proxyIdle = await idleRss(pids.proxy, paths.proxy, idleCount);

  async function ttfb(send: () => Promise<number>, rounds: number): Promise<number> {
    const times: number[] = [];
    for (let i = 0; i < rounds; i++) times.push(await send());
    return percentile(
      times.sort((a, b) => a - b),
      0.5,
    );
  }
  const body = JSON.stringify({
    model: 'openclaw/default',
    stream: true,
    messages: [{ role: 'user', content: 'hi' }],
  });
  const directTtfb = await ttfb(
    () =>
      new Promise((resolve, reject) => {
        const start = performance.now();
        const req = request(
          `${agent.url}/v1/chat/completions`,
          { method: 'POST', ca: agent.certificate.certPem, checkServerIdentity: () => undefined },
          (res) => {
            res.once('data', () => resolve((performance.now() - start) * 1000));
            res.resume();
          },
        );
        req.once('error', reject);
        req.end(body);
      }),
    200,
  );
  const proxyTtfb = await ttfb(async () => {
    const start = performance.now();
    const res = await fetch(`${planeUrl}/api/instances/${instanceId}/chat/completions`, {
      method: 'POST',
      headers: { origin: planeUrl, cookie: user.cookie ?? '', 'content-type': 'application/json' },
      body,
    });
    const reader = res.body?.getReader();
    await reader?.read();
    const elapsed = (performance.now() - start) * 1000;
    await reader?.cancel();
    return elapsed;
  }, 200);

  const r = results as Record<keyof typeof paths, (typeof results)[string]>;
  const fmt = (n: number) => n.toFixed(1);
  const lines = [
    'claw-cloud proxy benchmark (loopback, one machine; µs unless noted)',
    '',
    '| path | p50 RTT | p99 RTT | msgs/s (64 conns, 1 KiB) | CPU µs/msg in the middle process |',
    '|---|---|---|---|---|',
    ...(['direct', 'floor', 'relay', 'proxy'] as const).map(
      (k) =>
        `| ${k} | ${fmt(r[k].p50)} | ${fmt(r[k].p99)} | ${Math.round(r[k].rate)} | ${k === 'direct' ? '—' : fmt(r[k].cpuPerMessage)} |`,
    ),
    '(floor: a byte pipe in its own process that reads and enforces nothing; what any separate proxy costs at least)',
    '',
    `added p50 latency: proxy ${fmt(r.proxy.p50 - r.direct.p50)} µs, floor ${fmt(r.floor.p50 - r.direct.p50)} µs, relay ${fmt(r.relay.p50 - r.direct.p50)} µs (target ≤ 50 µs); proxy over floor ${fmt(r.proxy.p50 - r.floor.p50)} µs`,
    `added p99 latency: proxy ${fmt(r.proxy.p99 - r.direct.p99)} µs, floor ${fmt(r.floor.p99 - r.direct.p99)} µs, relay ${fmt(r.relay.p99 - r.direct.p99)} µs`,
    `throughput ratio proxy / relay: ${(r.proxy.rate / r.relay.rate).toFixed(2)}× (target ≥ 2.5×); proxy / floor: ${(r.proxy.rate / r.floor.rate).toFixed(2)}×; proxy / direct: ${(r.proxy.rate / r.direct.rate).toFixed(2)}×`,
    `CPU per message in the middle: relay / proxy ${(r.relay.cpuPerMessage / r.proxy.cpuPerMessage).toFixed(2)}×; proxy / floor ${(r.proxy.cpuPerMessage / r.floor.cpuPerMessage).toFixed(2)}×`,
    `RSS per idle connection at ${idleCount}: proxy ${(proxyIdle / 1024).toFixed(1)} KiB, floor ${(floorIdle / 1024).toFixed(1)} KiB, relay ${(relayIdle / 1024).toFixed(1)} KiB (target ≤ 8 KiB); proxy / relay ${(proxyIdle / relayIdle).toFixed(2)}×`,
    `SSE time to first byte (p50): proxy ${fmt(proxyTtfb)} µs, direct ${fmt(directTtfb)} µs; ratio ${(proxyTtfb / directTtfb).toFixed(2)}×`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  plane.proc.kill('SIGTERM');
  relay.proc.kill('SIGTERM');
  floor.proc.kill('SIGTERM');
  await agent.close();
}

await main();
