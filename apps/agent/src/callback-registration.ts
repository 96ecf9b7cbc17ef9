// Registration by callback, for servers Claw Cloud created (docs/decisions/0007-bootstrap.md). The user-data
// carries the control plane's callback URL, the instance id and a one-time registration code. At first start
// the agent tells the control plane "I am up, this is my certificate's fingerprint and my own adoption code";
// the control plane then adopts it exactly as in docs/pipe.md: it connects to the address it got from the
// cloud provider (never one we send), checks the fingerprint, and posts `/register {code, credential}` over
// TLS pinned to it. The instance credential therefore never travels in the callback, and the agent keeps
// only its hash. A stolen registration code is worth nothing without this machine's private key.
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError } from './config.ts';
import type { GatewayHealth } from './health.ts';
import type { Log } from './logger.ts';
import { errorCodeOf } from './logger.ts';

export type CallbackConfig = Readonly<{ url: string; instanceId: string; registrationCode: string }>;

export type CallbackOutcome = 'accepted' | 'refused' | 'expired' | 'aborted';

/** Reads CLAW_AGENT_CALLBACK_FILE (JSON written by the bootstrap); fails naming keys, never values. */
export function loadCallbackConfig(env: NodeJS.ProcessEnv): CallbackConfig {
  const file = env.CLAW_AGENT_CALLBACK_FILE;
  if (!file) throw new ConfigError('invalid agent environment: CLAW_AGENT_CALLBACK_FILE');
  let raw: Partial<Record<keyof CallbackConfig, unknown>>;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof raw;
  } catch {
    throw new ConfigError('invalid agent environment: CLAW_AGENT_CALLBACK_FILE (unreadable or not JSON)');
  }
  const bad: string[] = [];
  // The code must never cross a network in clear text.
  if (typeof raw.url !== 'string' || !URL.canParse(raw.url) || new URL(raw.url).protocol !== 'https:')
    bad.push('url (https)');
  if (typeof raw.instanceId !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(raw.instanceId))
    bad.push('instanceId');
  if (typeof raw.registrationCode !== 'string' || !/^[A-Za-z0-9_-]{22,128}$/.test(raw.registrationCode))
    bad.push('registrationCode');
  if (bad.length > 0) throw new ConfigError(`invalid callback file: ${bad.join(', ')}`);
  return Object.freeze({
    url: raw.url as string,
    instanceId: raw.instanceId as string,
    registrationCode: raw.registrationCode as string,
  });
}

// 2xx: the control plane has adopted us. These statuses will not change by retrying: a wrong, spent or
// expired code (401, 410), an unknown instance (404), an instance already adopted (409), a bad request (400).
const FINAL_REFUSALS = new Set([400, 401, 403, 404, 409, 410]);
const FIRST_DELAY_MS = 2_000;
const MAX_DELAY_MS = 60_000;
const ATTEMPT_TIMEOUT_MS = 30_000;
// The control plane's code expires 1 h after it made the user-data; the machine needs minutes to boot.
export const CALLBACK_BUDGET_MS = 55 * 60_000;

function waitUnlessAborted(ms: number, signal?: AbortSignal): Promise<void> {
  return sleep(ms, undefined, signal ? { signal } : {}).catch(() => undefined);
}

export async function callBack(deps: {
  config: CallbackConfig;
  agent: { fingerprint: string; registrationCode: string };
  agentVersion: string;
  gatewayHealth: () => Promise<GatewayHealth>;
  log: Log;
  fetch?: typeof fetch;
  now?: () => number;
  /** Waits between attempts; resolves early when the signal aborts. */
  wait?: (ms: number, signal?: AbortSignal) => Promise<void>;
  signal?: AbortSignal;
  budgetMs?: number;
}): Promise<CallbackOutcome> {
  const doFetch = deps.fetch ?? fetch;
  const now = deps.now ?? Date.now;
  const wait = deps.wait ?? waitUnlessAborted;
  const deadline = now() + (deps.budgetMs ?? CALLBACK_BUDGET_MS);
  let delay = FIRST_DELAY_MS;
  while (!deps.signal?.aborted) {
    const started = now();
    const gateway = await deps.gatewayHealth();
    try {
      const res = await doFetch(deps.config.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          instanceId: deps.config.instanceId,
          registrationCode: deps.config.registrationCode,
          fingerprint: deps.agent.fingerprint,
          adoptionCode: deps.agent.registrationCode,
          agentVersion: deps.agentVersion,
          openclawVersion: gateway.version,
        }),
        redirect: 'error',
        signal: AbortSignal.any([
          AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
          ...(deps.signal ? [deps.signal] : []),
        ]),
      });
      await res.body?.cancel();
      if (res.ok) {
        deps.log({ event: 'agent.callback_accepted', status: res.status, ms: now() - started });
        return 'accepted';
      }
      if (FINAL_REFUSALS.has(res.status)) {
        deps.log({ event: 'agent.callback_refused', status: res.status });
        return 'refused';
      }
      deps.log({ event: 'agent.callback_retry', status: res.status });
    } catch (err) {
      if (deps.signal?.aborted) break;
      deps.log({ event: 'agent.callback_retry', errorCode: errorCodeOf(err) });
    }
    if (now() + delay > deadline) {
      deps.log({ event: 'agent.callback_expired' });
      return 'expired';
    }
    await wait(delay, deps.signal);
    delay = Math.min(delay * 2, MAX_DELAY_MS);
  }
  return 'aborted';
}
