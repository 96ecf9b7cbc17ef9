#!/usr/bin/env node
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openDatabase } from '@claw/db';
import { createLogger } from '@claw/logger';
import { rotateKeyRingFile, setMinVersion } from '@claw/vault';
import { BOOTSTRAP_PROVIDERS } from '@claw/bootstrap';
import { loadConfig } from './config.ts';
import { startControlPlane } from './control-plane.ts';
import { createInstanceService } from './instances/instance-service.ts';
import { createUserKeys } from './keys/user-keys.ts';
import { openMasterKeys } from './master-keys.ts';
import { previewUserData } from './provisioning/user-data-preview.ts';
import { openTunnelTo, pipeTunnel, signSupportKey, type SupportDeps } from './support/support-cli.ts';

const usage = `Usage: claw-cloud <command>

Commands:
  start                 run the control plane (API, dashboard) on CLAW_HOST:CLAW_PORT (default 127.0.0.1:8080)
  migrate               apply database migrations and exit
  keys rotate           add a new master key version to the key file (new data keys are wrapped with it)
  keys rewrap           re-wrap every user's data key with the newest master key (resumable, idempotent)
  keys min-version <n>  refuse master key versions below n (run after a complete rewrap)
  render-cloud-init --provider <digitalocean|aws|hetzner>
                        print the exact cloud-init user-data a new server gets (per-instance secrets shown as
                        placeholders): what the dashboard shows before Deploy
  support connect <instance-id>
                        an ssh ProxyCommand: the instance's support tunnel on stdin/stdout, while the user's
                        grant is active (docs/support-tunnel.md)
  support sign --instance <id> --ca-key <path> --key <engineer.pub> [--out <path>] [--identity <name>]
                        sign the engineer's key with the support CA for the active grant's principal, valid
                        until the grant ends (the CA key is the support team's; it is not configured here),
                        and write <instance-id>.known_hosts beside the certificate with sshd's host keys,
                        fetched from the instance's agent over its pinned TLS
  help                  show this help

Configuration comes from the environment; see README.md. The support commands need the same database
(DATABASE_URL, or CLAW_DATA_DIR for the embedded one) and master keys (CLAW_MASTER_KEYS or the key file in
CLAW_DATA_DIR) as the running server. The embedded database admits one process at a time: while 'start'
holds it, run them against Postgres or stop the server.`;

async function withDatabase<T>(
  run: (database: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>,
): Promise<T> {
  const config = loadConfig(process.env);
  const database = await openDatabase({
    url: config.databaseUrl,
    dataDir: config.databaseUrl ? undefined : config.dataDir,
  });
  try {
    return await run(database);
  } finally {
    await database.close();
  }
}

async function start(): Promise<void> {
  const plane = await startControlPlane();
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await plane.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  process.stdout.write(`Claw Cloud is running at ${plane.url}\n`);
}

async function migrate(): Promise<void> {
  const log = createLogger();
  await withDatabase((database) => database.migrate());
  log.info({ event: 'database.migrated', outcome: 'ok' });
}

function keyFile(): string {
  if (process.env.CLAW_MASTER_KEYS) {
    throw new Error(
      'the key ring comes from CLAW_MASTER_KEYS: add a version there (n:<base64 of 32 random bytes>) and restart',
    );
  }
  return join(loadConfig(process.env).dataDir, 'master-keys.json');
}

async function keys(action: string | undefined, argument: string | undefined): Promise<void> {
  if (action === 'rotate') {
    const version = await rotateKeyRingFile(keyFile());
    process.stdout.write(`master key version ${version} added; run 'claw-cloud keys rewrap' next\n`);
    return;
  }
  if (action === 'rewrap') {
    const config = loadConfig(process.env);
    const { keyRing } = await openMasterKeys(config, process.env);
    const done = await withDatabase(async (database) => {
      await database.migrate();
      return createUserKeys({ db: database.db, keys: keyRing }).rewrapAll();
    });
    process.stdout.write(
      `${done} data key(s) re-wrapped with master key version ${keyRing.currentVersion()}\n`,
    );
    return;
  }
  if (action === 'min-version' && argument && /^\d+$/.test(argument)) {
    await setMinVersion(keyFile(), Number(argument));
    process.stdout.write(`master key versions below ${argument} are now refused\n`);
    return;
  }
  throw new Error(`unknown keys command; see 'claw-cloud help'`);
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  strict: true,
  options: {
    instance: { type: 'string' },
    'ca-key': { type: 'string' },
    key: { type: 'string' },
    out: { type: 'string' },
    identity: { type: 'string' },
    provider: { type: 'string' },
  },
});

async function renderCloudInit(): Promise<void> {
  const provider = BOOTSTRAP_PROVIDERS.find((p) => p === values.provider);
  if (!provider) throw new Error(`--provider must be one of: ${BOOTSTRAP_PROVIDERS.join(', ')}`);
  process.stdout.write(previewUserData(provider, loadConfig(process.env)));
}

/** The database and the key ring, which decrypts the instance credential the agent's support routes need. */
async function withSupportDeps<T>(run: (deps: SupportDeps) => Promise<T>): Promise<T> {
  const config = loadConfig(process.env);
  const { keyRing } = await openMasterKeys(config, process.env);
  return withDatabase((database) =>
    run({
      db: database.db,
      instances: createInstanceService({
        db: database.db,
        userKeys: createUserKeys({ db: database.db, keys: keyRing }),
        allowPrivateNetworks: config.agentAllowPrivateNetworks,
      }),
      now: () => new Date(),
    }),
  );
}

async function support(action: string | undefined, instanceId: string | undefined): Promise<void> {
  if (action === 'connect' && instanceId) {
    // The database is needed only to open the tunnel, not for the hours it may stay open.
    const tunnel = await withSupportDeps((deps) => openTunnelTo(deps, instanceId));
    // stdout is ssh's connection: nothing else may be written to it.
    await pipeTunnel(tunnel, { input: process.stdin, output: process.stdout });
    // stdin may still be open (ssh closes it last); the tunnel is what this command was for.
    process.exit(0);
  }
  const { instance, 'ca-key': caKey, key: publicKey, out, identity } = values;
  if (action === 'sign' && instance && caKey && publicKey) {
    const signed = await withSupportDeps((deps) =>
      signSupportKey(deps, {
        instanceId: instance,
        caKey,
        publicKey,
        identity: identity ?? userInfo().username,
        ...(out ? { out } : {}),
      }),
    );
    process.stdout.write(
      `${signed.certificate}: principal ${signed.grant.principal}, valid ${signed.validity}\n` +
        `${signed.knownHosts}: sshd's host keys as '${instance}'\n` +
        `ssh -i <your private key> -o CertificateFile=${signed.certificate} ` +
        `-o HostKeyAlias=${instance} -o UserKnownHostsFile=${signed.knownHosts} -o StrictHostKeyChecking=yes ` +
        `-o ProxyCommand='claw-cloud support connect ${instance}' claw-support@${instance}\n`,
    );
    return;
  }
  throw new Error(`unknown or incomplete support command; see 'claw-cloud help'`);
}

const [command = 'help', ...rest] = positionals;
const commands: Record<string, () => Promise<void>> = {
  start,
  migrate,
  keys: () => keys(rest[0], rest[1]),
  'render-cloud-init': renderCloudInit,
  support: () => support(rest[0], rest[1]),
};
const run = commands[command];
if (!run) {
  process.stdout.write(`${usage}\n`);
  process.exitCode = command === 'help' ? 0 : 2;
} else {
  run().catch((error: unknown) => {
    process.stderr.write(
      `claw-cloud ${command}: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  });
}
