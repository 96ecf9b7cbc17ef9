import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, test } from 'node:test';
import type { CallbackConfig } from './callback-registration.ts';
import { callBack, loadCallbackConfig } from './callback-registration.ts';
import { ConfigError } from './config.ts';
import type { LogEntry } from './logger.ts';
import { createLogger } from './logger.ts';

const CONFIG: CallbackConfig = {
  url: 'https://claw.example.com/api/agent/register',
  instanceId: 'inst_42',
  registrationCode: 'registration-code-canary-0001',
};
const AGENT = { fingerprint: `${'AB:'.repeat(31)}AB`, registrationCode: 'adoption-code-canary-00001' };

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function callbackFile(content: unknown): NodeJS.ProcessEnv {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'claw-callback-'));
  dirs.push(dir);
  const file = path.join(dir, 'callback.json');
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return { CLAW_AGENT_CALLBACK_FILE: file };
}

/** A control plane that answers with the given statuses in turn; `error` means the network failed. */
function controlPlane(answers: Array<number | 'error'>) {
  const requests: Array<{ url: string; init: RequestInit }> = [];
  const fetchFake = (async (url: string, init: RequestInit) => {
    requests.push({ url, init });
    const answer = answers.shift() ?? 503;
    if (answer === 'error') throw Object.assign(new TypeError('fetch failed'), { code: 'ECONNREFUSED' });
    return new Response(null, { status: answer });
  }) as unknown as typeof fetch;
  return { requests, fetchFake };
}

function run(answers: Array<number | 'error'>, options: { budgetMs?: number } = {}) {
  const plane = controlPlane(answers);
  const entries: LogEntry[] = [];
  const lines: string[] = [];
  const writeLine = createLogger((line) => lines.push(line));
  let clock = 0;
  const waits: number[] = [];
  const outcome = callBack({
    config: CONFIG,
    agent: AGENT,
    agentVersion: '0.1.0',
    gatewayHealth: async () => ({ ready: true, version: '2026.9.6' }),
    log: (entry) => {
      entries.push(entry);
      writeLine(entry);
    },
    fetch: plane.fetchFake,
    now: () => clock,
    wait: async (ms) => {
      waits.push(ms);
      clock += ms;
    },
    ...options,
  });
  return { outcome, plane, entries, lines, waits };
}

test('one POST with instance, code, fingerprint, own adoption code and versions; 204 ends it', async () => {
  const { outcome, plane, entries } = run([204]);
  assert.equal(await outcome, 'accepted');
  assert.equal(plane.requests.length, 1);
  const [request] = plane.requests;
  assert.equal(request!.url, CONFIG.url);
  assert.equal(request!.init.method, 'POST');
  assert.equal(request!.init.redirect, 'error');
  assert.deepEqual(JSON.parse(request!.init.body as string), {
    instanceId: 'inst_42',
    registrationCode: CONFIG.registrationCode,
    fingerprint: AGENT.fingerprint,
    adoptionCode: AGENT.registrationCode,
    agentVersion: '0.1.0',
    openclawVersion: '2026.9.6',
  });
  assert.equal(entries.at(-1)?.event, 'agent.callback_accepted');
});

test('network errors and 5xx/429 are retried with a growing delay', async () => {
  const { outcome, plane, waits } = run(['error', 503, 429, 200]);
  assert.equal(await outcome, 'accepted');
  assert.equal(plane.requests.length, 4);
  assert.deepEqual(waits, [2_000, 4_000, 8_000]);
});

for (const status of [400, 401, 404, 409, 410]) {
  test(`${status} is final: no retry`, async () => {
    const { outcome, plane } = run([status, 204]);
    assert.equal(await outcome, 'refused');
    assert.equal(plane.requests.length, 1);
  });
}

test('gives up when the code would have expired', async () => {
  const { outcome, plane, entries, waits } = run([], { budgetMs: 10 * 60_000 });
  assert.equal(await outcome, 'expired');
  const waited = waits.reduce((sum, ms) => sum + ms, 0);
  assert.ok(waited <= 10 * 60_000 && waited + 60_000 > 10 * 60_000);
  assert.equal(plane.requests.length, waits.length + 1);
  assert.equal(Math.max(...waits), 60_000);
  assert.equal(entries.at(-1)?.event, 'agent.callback_expired');
});

test('an abort stops the loop', async () => {
  const stop = new AbortController();
  stop.abort();
  const outcome = await callBack({
    config: CONFIG,
    agent: AGENT,
    agentVersion: '0.1.0',
    gatewayHealth: async () => ({ ready: false, version: null }),
    log: () => undefined,
    fetch: controlPlane([]).fetchFake,
    signal: stop.signal,
  });
  assert.equal(outcome, 'aborted');
});

test('neither code reaches the log', async () => {
  const { outcome, lines } = run(['error', 500, 401]);
  await outcome;
  const log = lines.join('');
  assert.ok(log.length > 0);
  assert.ok(!log.includes(CONFIG.registrationCode) && !log.includes(AGENT.registrationCode));
});

test('the callback file: https only, identifier-shaped values, errors name keys only', () => {
  assert.deepEqual(loadCallbackConfig(callbackFile(CONFIG)), CONFIG);
  assert.throws(() => loadCallbackConfig({}), /CLAW_AGENT_CALLBACK_FILE/);
  assert.throws(() => loadCallbackConfig(callbackFile('{not json')), ConfigError);
  const leaky = { ...CONFIG, url: 'http://claw.example.com/api/agent/register', registrationCode: 'x y' };
  assert.throws(
    () => loadCallbackConfig(callbackFile(leaky)),
    (err: Error) =>
      err instanceof ConfigError &&
      /url \(https\), registrationCode/.test(err.message) &&
      !err.message.includes('claw.example.com'),
  );
});
