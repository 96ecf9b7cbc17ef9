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
  /** Adopting an agent on a loopback or private address is refused unless this is true (SSRF guard). */
  CLAW_AGENT_ALLOW_PRIVATE_NETWORKS: z.enum(['true', 'false']).default('false'),
  CLAW_PROXY_MAX_MESSAGE_BYTES: positiveInt(1024 * 1024),
  CLAW_PROXY_MAX_SOCKETS_PER_USER: positiveInt(8),
  CLAW_PROXY_MAX_MESSAGES_PER_SECOND: positiveInt(50),
  CLAW_PROXY_PING_INTERVAL_MS: positiveInt(30_000),
  CLAW_PROXY_IDLE_TIMEOUT_MS: positiveInt(30 * 60_000),
  CLAW_PROXY_HANDSHAKE_TIMEOUT_MS: positiveInt(10_000),
  CLAW_PROXY_HIGH_WATER_BYTES: positiveInt(1024 * 1024),
  CLAW_PROXY_HARD_LIMIT_BYTES: positiveInt(8 * 1024 * 1024),
  CLAW_PROXY_SESSION_CHECK_MS: positiveInt(2_000),
  /** How recently a password must have been proven before adding or deleting credentials (step-up). */
  CLAW_STEP_UP_MINUTES: positiveInt(10),
  CLAW_DIGITALOCEAN_API_URL: z.url().default('https://api.digitalocean.com'),
  CLAW_HETZNER_API_URL: z.url().default('https://api.hetzner.cloud/v1'),
  /** Our own AWS principal that assumes users' roles; AWS connections are offered only when it is set. */
  CLAW_AWS_PRINCIPAL_ARN: z
    .string()
    .regex(/^arn:aws:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/)
    .optional(),
  CLAW_AWS_REGION: z.string().default('us-east-1'),
  /** Tests only: an AWS-compatible endpoint (moto) instead of AWS's regional endpoints. */
  CLAW_AWS_ENDPOINT: z.url().optional(),
  CLAW_DO_OAUTH_CLIENT_ID: z.string().optional(),
  CLAW_DO_OAUTH_CLIENT_SECRET: z.string().optional(),
  CLAW_DO_OAUTH_AUTHORIZE_URL: z.url().optional(),
  CLAW_DO_OAUTH_TOKEN_URL: z.url().optional(),
  /** The published agent package servers install, pinned: name@version and its npm `dist.integrity`. */
  CLAW_AGENT_PACKAGE: z
    .string()
    .regex(/^(@[\w.-]+\/)?[\w.-]+@\d[\w.+-]*$/)
    .optional(),
  CLAW_AGENT_PACKAGE_INTEGRITY: z
    .string()
    .regex(/^sha512-[A-Za-z0-9+/=]+$/)
    .optional(),
  /** Addresses our proxy connects to instances from; the only sources instance firewalls admit on 3000. */
  CLAW_EGRESS_ADDRESSES: z.string().optional(),
  CLAW_AWS_IMAGE_ID: z
    .string()
    .regex(/^ami-[0-9a-f]+$/)
    .optional(),
  /** The port provisioned agents listen on (3000; tests change it to run several on one machine). */
  CLAW_PROVISIONED_AGENT_PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  CLAW_PROVISION_POLL_MS: positiveInt(5_000),
  CLAW_RECONCILE_MS: positiveInt(5 * 60_000),
  CLAW_TICKET_TTL_SECONDS: z.coerce.number().int().min(1).max(60).default(60),
  /**
   * The support team's SSH certificate authority (one OpenSSH public key line). Its private key stays with
   * the support team: the control plane can ask an instance to trust it, never sign with it. Unset: no
   * support access can be granted.
   */
  CLAW_SUPPORT_CA_PUBLIC_KEY: z
    .string()
    .regex(/^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|ssh-rsa|sk-[a-z0-9@.-]+) [A-Za-z0-9+/]+={0,2}( .*)?$/)
    .optional(),
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
  agentAllowPrivateNetworks: boolean;
  ticketTtlMs: number;
  stepUpMs: number;
  supportCaPublicKey: string | undefined;
  clouds: CloudEndpoints;
  provisioning: ProvisioningSettings;
  proxy: ProxyLimits;
}>;

export type ProvisioningSettings = Readonly<{
  agentPackage: { name: string; version: string; integrity: string } | undefined;
  egressAddresses: readonly string[];
  awsImageId: string | undefined;
  agentPort: number;
  pollMs: number;
  reconcileMs: number;
}>;

export type CloudEndpoints = Readonly<{
  digitalOceanApiUrl: string;
  hetznerApiUrl: string;
  aws: { principalArn: string | undefined; region: string; endpoint: string | undefined };
  digitalOceanOAuth:
    | {
        clientId: string;
        clientSecret: string;
        authorizeUrl: string | undefined;
        tokenUrl: string | undefined;
      }
    | undefined;
}>;

export type ProxyLimits = Readonly<{
  maxMessageBytes: number;
  maxSocketsPerUser: number;
  maxMessagesPerSecond: number;
  pingIntervalMs: number;
  idleTimeoutMs: number;
  handshakeTimeoutMs: number;
  highWaterBytes: number;
  hardLimitBytes: number;
  sessionCheckMs: number;
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
    agentAllowPrivateNetworks: e.CLAW_AGENT_ALLOW_PRIVATE_NETWORKS === 'true',
    ticketTtlMs: e.CLAW_TICKET_TTL_SECONDS * 1000,
    supportCaPublicKey: e.CLAW_SUPPORT_CA_PUBLIC_KEY,
    stepUpMs: e.CLAW_STEP_UP_MINUTES * 60_000,
    provisioning: Object.freeze({
      agentPackage:
        e.CLAW_AGENT_PACKAGE && e.CLAW_AGENT_PACKAGE_INTEGRITY
          ? {
              name: e.CLAW_AGENT_PACKAGE.slice(0, e.CLAW_AGENT_PACKAGE.lastIndexOf('@')),
              version: e.CLAW_AGENT_PACKAGE.slice(e.CLAW_AGENT_PACKAGE.lastIndexOf('@') + 1),
              integrity: e.CLAW_AGENT_PACKAGE_INTEGRITY,
            }
          : undefined,
      egressAddresses: (e.CLAW_EGRESS_ADDRESSES ?? '')
        .split(',')
        .map((address) => address.trim())
        .filter(Boolean),
      awsImageId: e.CLAW_AWS_IMAGE_ID,
      agentPort: e.CLAW_PROVISIONED_AGENT_PORT,
      pollMs: e.CLAW_PROVISION_POLL_MS,
      reconcileMs: e.CLAW_RECONCILE_MS,
    }),
    clouds: Object.freeze({
      digitalOceanApiUrl: e.CLAW_DIGITALOCEAN_API_URL.replace(/\/$/, ''),
      hetznerApiUrl: e.CLAW_HETZNER_API_URL.replace(/\/$/, ''),
      aws: {
        principalArn: e.CLAW_AWS_PRINCIPAL_ARN,
        region: e.CLAW_AWS_REGION,
        endpoint: e.CLAW_AWS_ENDPOINT,
      },
      digitalOceanOAuth:
        e.CLAW_DO_OAUTH_CLIENT_ID && e.CLAW_DO_OAUTH_CLIENT_SECRET
          ? {
              clientId: e.CLAW_DO_OAUTH_CLIENT_ID,
              clientSecret: e.CLAW_DO_OAUTH_CLIENT_SECRET,
              authorizeUrl: e.CLAW_DO_OAUTH_AUTHORIZE_URL,
              tokenUrl: e.CLAW_DO_OAUTH_TOKEN_URL,
            }
          : undefined,
    }),
    proxy: Object.freeze({
      maxMessageBytes: e.CLAW_PROXY_MAX_MESSAGE_BYTES,
      maxSocketsPerUser: e.CLAW_PROXY_MAX_SOCKETS_PER_USER,
      maxMessagesPerSecond: e.CLAW_PROXY_MAX_MESSAGES_PER_SECOND,
      pingIntervalMs: e.CLAW_PROXY_PING_INTERVAL_MS,
      idleTimeoutMs: e.CLAW_PROXY_IDLE_TIMEOUT_MS,
      handshakeTimeoutMs: e.CLAW_PROXY_HANDSHAKE_TIMEOUT_MS,
      highWaterBytes: e.CLAW_PROXY_HIGH_WATER_BYTES,
      hardLimitBytes: e.CLAW_PROXY_HARD_LIMIT_BYTES,
      sessionCheckMs: e.CLAW_PROXY_SESSION_CHECK_MS,
    }),
  });
}
