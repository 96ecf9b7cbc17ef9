import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { isFirstRun, openDatabase, type Database } from '@claw/db';
import { createLogger, describeError, type Logger } from '@claw/logger';
import { createAccountRoutes } from './account/account-routes.ts';
import { createAuthRoutes } from './auth/auth-routes.ts';
import { createLoginThrottle } from './auth/login-throttle.ts';
import { createSessionService } from './auth/session-service.ts';
import { loadConfig, type Config } from './config.ts';
import { createApp } from './http/app.ts';
import { sessionMiddleware } from './http/session-cookie.ts';
import { createTransparencyRoutes } from './transparency/transparency-routes.ts';
import { openMasterKeys } from './master-keys.ts';
import { createUserKeys } from './keys/user-keys.ts';
import { createInstanceService } from './instances/instance-service.ts';
import { createInstanceRoutes } from './instances/instance-routes.ts';
import { createTickets } from './instances/tickets.ts';
import { createGatewayProxy } from './proxy/gateway-proxy.ts';
import { createProtectedKeys } from './keys/protected-keys.ts';
import { createPasswordConfirmation } from './auth/confirm-password.ts';
import { createCredentialRoutes } from './credentials/credential-routes.ts';
import { createCredentialService } from './credentials/credential-service.ts';
import { createCloudVerifier } from './credentials/cloud-verifier.ts';
import { createDigitalOceanOAuthRoutes } from './credentials/oauth-routes.ts';
import { createAgentCallbackRoutes } from './provisioning/agent-callback-routes.ts';
import { startJobQueue } from './provisioning/job-queue.ts';
import { createProvisioning } from './provisioning/provisioning-service.ts';
import { createProvisioningRoutes } from './provisioning/provisioning-routes.ts';
import { createSupportRoutes } from './support/support-routes.ts';
import { createSupportService } from './support/support-service.ts';

const supportSweepMs = 30_000;

export type ControlPlane = { url: string; config: Config; database: Database; close(): Promise<void> };

export type StartOptions = {
  port?: number;
  dataDir?: string;
  databaseUrl?: string;
  /** Environment to read the configuration from (defaults to process.env). */
  env?: Record<string, string | undefined>;
  log?: Logger;
  /** An already open database (tests); the control plane migrates it and closes it on close(). */
  database?: Database;
};

function allowedOriginsFor(config: Config, port: number): Set<string> {
  const origins = config.publicUrl
    ? [new URL(config.publicUrl).origin]
    : [`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`];
  return new Set([...origins, ...config.extraOrigins]);
}

export async function startControlPlane(options: StartOptions = {}): Promise<ControlPlane> {
  const env = { ...(options.env ?? process.env) };
  if (options.port !== undefined) env.CLAW_PORT = String(options.port);
  if (options.dataDir !== undefined) env.CLAW_DATA_DIR = options.dataDir;
  if (options.databaseUrl !== undefined) env.DATABASE_URL = options.databaseUrl;
  const config = loadConfig(env);
  const log = options.log ?? createLogger({ level: config.logLevel });

  const masterKeys = await openMasterKeys(config, env);
  if (masterKeys.created) log.info({ event: 'keys.created', path: masterKeys.path });

  if (!options.database && !config.databaseUrl && isFirstRun(config.dataDir)) {
    log.info({ event: 'database.initialising', path: config.dataDir });
  }
  const database =
    options.database ??
    (await openDatabase({
      url: config.databaseUrl,
      dataDir: config.databaseUrl ? undefined : config.dataDir,
    }));
  try {
    await database.migrate();
    const https = config.publicUrl?.startsWith('https:') ?? false;
    const cookie = { https };
    const { db } = database;
    const sessions = createSessionService({
      db,
      policy: { idleMs: config.sessionIdleMs, absoluteMs: config.sessionAbsoluteMs },
    });
    const throttle = createLoginThrottle({
      db,
      policy: {
        windowMs: config.loginWindowMs,
        maxPerAccount: config.loginMaxFailuresPerAccount,
        maxPerIp: config.loginMaxFailuresPerIp,
      },
    });
    let origins = new Set<string>();
    const protectedKeys = createProtectedKeys({ db });
    const confirmPassword = createPasswordConfirmation({ db, throttle });
    const userKeys = createUserKeys({ db, keys: masterKeys.keyRing });
    const instances = createInstanceService({
      db,
      userKeys,
      allowPrivateNetworks: config.agentAllowPrivateNetworks,
    });
    const credentials = createCredentialService({
      db,
      userKeys,
      protectedKeys,
      verify: createCloudVerifier(config.clouds),
    });
    const boss = await startJobQueue(database, log);
    const provisioning = createProvisioning({
      db,
      boss,
      log,
      credentials,
      instances,
      clouds: config.clouds,
      settings: config.provisioning,
      publicUrl: config.publicUrl,
      allowPrivateNetworks: config.agentAllowPrivateNetworks,
    });
    const tickets = createTickets({ db, ttlMs: config.ticketTtlMs });
    const support = createSupportService({ db, instances, caPublicKey: config.supportCaPublicKey, log });
    const gatewayProxy = createGatewayProxy({
      db,
      sessions,
      cookie,
      tickets,
      instances,
      allowedOrigins: () => origins,
      limits: config.proxy,
      log,
    });
    const app = createApp({
      log,
      https,
      bodyLimitBytes: config.bodyLimitBytes,
      ownBodyLimit: /^\/api\/instances\/[^/]+\/chat\/completions$/,
      trustProxy: config.trustProxy,
      webDir: config.webDir,
      allowedOrigins: () => origins,
      apiMiddleware: [sessionMiddleware(sessions, cookie)],
      modules: [
        createAuthRoutes({ db, sessions, throttle, cookie, protectedKeys, confirmPassword }),
        createAccountRoutes({ db, sessions, confirmPassword, protectedKeys, cookie }),
        createCredentialRoutes({
          credentials: createCredentialService({
            db,
            userKeys,
            protectedKeys,
            verify: createCloudVerifier(config.clouds),
          }),
          clouds: config.clouds,
          stepUpMs: config.stepUpMs,
          confirmPassword,
          protectedKeys,
        }),
        createProvisioningRoutes({ provisioning, instances }),
        createAgentCallbackRoutes({
          db,
          instances,
          log,
          agentPort: config.provisioning.agentPort,
          allowPrivateNetworks: config.agentAllowPrivateNetworks,
        }),
        createDigitalOceanOAuthRoutes({
          db,
          credentials,
          clouds: config.clouds,
          stepUpMs: config.stepUpMs,
          publicUrl: config.publicUrl,
        }),
        createTransparencyRoutes({ database }),
        createInstanceRoutes({ instances, tickets, log, maxChatBodyBytes: config.proxy.maxMessageBytes }),
        createSupportRoutes({ support, stepUpMs: config.stepUpMs, log }),
      ],
    });
    await provisioning.work();
    await provisioning.reconcile();
    const reconciler = setInterval(
      () =>
        void provisioning
          .reconcile()
          .catch((error: unknown) => log.warn({ event: 'reconcile.failed', ...describeError(error) })),
      config.provisioning.reconcileMs,
    );
    reconciler.unref();
    // Grants end on the instance by themselves; this records their end and their sessions in the audit log.
    const supportSweep = setInterval(
      () =>
        void support
          .sweep()
          .catch((error: unknown) => log.warn({ event: 'support.sweep_failed', ...describeError(error) })),
      supportSweepMs,
    );
    supportSweep.unref();
    const server = serve({ fetch: app.fetch, hostname: config.host, port: config.port });
    server.on('upgrade', (req, socket, head) => void gatewayProxy.handleUpgrade(req, socket, head));
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    const { port } = server.address() as AddressInfo;
    origins = allowedOriginsFor(config, port);
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    log.info({ event: 'server.listening', url });
    return {
      url,
      config,
      database,
      close: async () => {
        clearInterval(reconciler);
        clearInterval(supportSweep);
        gatewayProxy.close();
        await boss.stop({ graceful: false });
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          if ('closeAllConnections' in server) server.closeAllConnections();
        });
        await database.close();
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}
