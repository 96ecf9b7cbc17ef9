// Agent configuration, read once from the environment at start-up and frozen. A bad environment fails fast
// naming the keys, never their values.
import fs from 'node:fs';
import { loadSupportConfig } from './support/support-config.ts';
import type { SupportConfig } from './support/support-config.ts';

export type AgentConfig = Readonly<{
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  stateDir: string;
  gatewayUrl: string;
  /** Generated on the VPS; it never leaves it (not in responses, logs or errors). */
  gatewayToken: string;
  /** Largest WebSocket message and request body accepted, in bytes. */
  maxPayloadBytes: number;
  /** Interval of WebSocket pings; a side that misses a pong for one interval is dropped. */
  pingIntervalMs: number;
  registrationTtlMs: number;
  maxRegistrationFailures: number;
  /** Support access (docs/support-access.md); undefined = off, the routes are 404. */
  support: SupportConfig | undefined;
}>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const DEFAULTS = {
  host: '0.0.0.0',
  port: 3000,
  gatewayUrl: 'http://127.0.0.1:18789',
  maxPayloadBytes: 1024 * 1024,
  pingIntervalMs: 30_000,
  registrationTtlMs: 60 * 60_000,
  maxRegistrationFailures: 10,
};

function integer(
  env: NodeJS.ProcessEnv,
  key: string,
  fallback: number,
  min: number,
  max: number,
  bad: string[],
) {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) bad.push(key);
  return value;
}

function readToken(env: NodeJS.ProcessEnv, bad: string[]): string {
  const file = env.CLAW_AGENT_GATEWAY_TOKEN_FILE;
  let token = env.OPENCLAW_GATEWAY_TOKEN;
  if (file) {
    try {
      token = fs.readFileSync(file, 'utf8').trim();
    } catch {
      bad.push('CLAW_AGENT_GATEWAY_TOKEN_FILE (unreadable)');
      return '';
    }
  }
  if (!token) bad.push('OPENCLAW_GATEWAY_TOKEN or CLAW_AGENT_GATEWAY_TOKEN_FILE');
  return token ?? '';
}

function gatewayUrl(env: NodeJS.ProcessEnv, bad: string[]): string {
  const raw = env.CLAW_AGENT_GATEWAY_URL || DEFAULTS.gatewayUrl;
  try {
    const url = new URL(raw);
    // The gateway grants the token-only backend path to direct loopback peers only (NOTES §3.2), and the
    // token must not cross a network in clear text.
    if (url.protocol !== 'http:' || !['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname))
      throw new Error();
    return url.origin;
  } catch {
    bad.push('CLAW_AGENT_GATEWAY_URL (must be http:// on loopback)');
    return raw;
  }
}

export function loadAgentConfig(env: NodeJS.ProcessEnv): AgentConfig {
  const bad: string[] = [];
  const stateDir = env.CLAW_AGENT_STATE_DIR ?? '';
  if (!stateDir) bad.push('CLAW_AGENT_STATE_DIR');
  const config = {
    host: env.CLAW_AGENT_HOST || DEFAULTS.host,
    port: integer(env, 'CLAW_AGENT_PORT', DEFAULTS.port, 0, 65535, bad),
    stateDir,
    gatewayUrl: gatewayUrl(env, bad),
    gatewayToken: readToken(env, bad),
    maxPayloadBytes: integer(
      env,
      'CLAW_AGENT_MAX_PAYLOAD_BYTES',
      DEFAULTS.maxPayloadBytes,
      1024,
      64 * 1024 * 1024,
      bad,
    ),
    pingIntervalMs: integer(env, 'CLAW_AGENT_PING_INTERVAL_MS', DEFAULTS.pingIntervalMs, 1000, 600_000, bad),
    registrationTtlMs: DEFAULTS.registrationTtlMs,
    maxRegistrationFailures: DEFAULTS.maxRegistrationFailures,
    support: loadSupportConfig(env, bad),
  };
  if (bad.length > 0) throw new ConfigError(`invalid agent environment: ${bad.join(', ')}`);
  return Object.freeze(config);
}
