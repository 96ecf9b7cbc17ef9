import { resolve } from 'node:path';
import { z } from 'zod';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const envSchema = z.object({
  CLAW_HOST: z.string().default('127.0.0.1'),
  CLAW_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  CLAW_DATA_DIR: z.string().default('./data'),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  /** The URL people use to reach the dashboard; decides the cookie's Secure/__Host- form and the allowed Origin. */
  CLAW_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Further origins allowed to make state-changing requests, comma separated. */
  CLAW_ALLOWED_ORIGINS: z.string().optional(),
  CLAW_SESSION_IDLE_MINUTES: positiveInt(30),
  CLAW_SESSION_ABSOLUTE_HOURS: positiveInt(12),
  CLAW_LOGIN_WINDOW_MINUTES: positiveInt(15),
  CLAW_LOGIN_MAX_FAILURES_PER_ACCOUNT: positiveInt(5),
  CLAW_LOGIN_MAX_FAILURES_PER_IP: positiveInt(20),
  CLAW_BODY_LIMIT_BYTES: positiveInt(64 * 1024),
  /** Trust X-Forwarded-For from a reverse proxy in front of us (for the client address). */
  CLAW_TRUST_PROXY: z.enum(['true', 'false']).default('false'),
  CLAW_WEB_DIR: z.string().optional(),
  CLAW_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
});

export type Config = Readonly<{
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string | undefined;
  publicUrl: string | undefined;
  extraOrigins: readonly string[];
  sessionIdleMs: number;
  sessionAbsoluteMs: number;
  loginWindowMs: number;
  loginMaxFailuresPerAccount: number;
  loginMaxFailuresPerIp: number;
  bodyLimitBytes: number;
  trustProxy: boolean;
  webDir: string;
  logLevel: string;
}>;

export class ConfigError extends Error {
  constructor(keys: string[]) {
    // Names the keys, never the values: a value may be a secret.
    super(`invalid configuration: ${keys.join(', ')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError([...new Set(parsed.error.issues.map((issue) => String(issue.path[0])))]);
  }
  const e = parsed.data;
  return Object.freeze({
    host: e.CLAW_HOST,
    port: e.CLAW_PORT,
    dataDir: resolve(e.CLAW_DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    publicUrl: e.CLAW_PUBLIC_URL?.replace(/\/$/, ''),
    extraOrigins: (e.CLAW_ALLOWED_ORIGINS ?? '')
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
    sessionIdleMs: e.CLAW_SESSION_IDLE_MINUTES * 60_000,
    sessionAbsoluteMs: e.CLAW_SESSION_ABSOLUTE_HOURS * 3_600_000,
    loginWindowMs: e.CLAW_LOGIN_WINDOW_MINUTES * 60_000,
    loginMaxFailuresPerAccount: e.CLAW_LOGIN_MAX_FAILURES_PER_ACCOUNT,
    loginMaxFailuresPerIp: e.CLAW_LOGIN_MAX_FAILURES_PER_IP,
    bodyLimitBytes: e.CLAW_BODY_LIMIT_BYTES,
    trustProxy: e.CLAW_TRUST_PROXY === 'true',
    webDir: resolve(e.CLAW_WEB_DIR ?? new URL('../../web/dist', import.meta.url).pathname),
    logLevel: e.CLAW_LOG_LEVEL,
  });
}
