#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { openDatabase } from '@claw/db';
import { createLogger } from '@claw/logger';
import { loadConfig } from './config.ts';
import { startControlPlane } from './control-plane.ts';

const usage = `Usage: claw-cloud <command>

Commands:
  start     run the control plane (API, dashboard) on CLAW_HOST:CLAW_PORT (default 127.0.0.1:8080)
  migrate   apply database migrations and exit
  help      show this help

Configuration comes from the environment; see README.md.`;

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
  const config = loadConfig(process.env);
  const log = createLogger({ level: config.logLevel });
  const database = await openDatabase({
    url: config.databaseUrl,
    dataDir: config.databaseUrl ? undefined : config.dataDir,
  });
  try {
    await database.migrate();
    log.info({ event: 'database.migrated', outcome: 'ok' });
  } finally {
    await database.close();
  }
}

const commands: Record<string, () => Promise<void>> = { start, migrate };

const { positionals } = parseArgs({ allowPositionals: true, strict: true });
const command = commands[positionals[0] ?? 'help'];
if (!command) {
  process.stdout.write(`${usage}\n`);
  process.exitCode = positionals[0] === 'help' || positionals.length === 0 ? 0 : 2;
} else {
  command().catch((error: unknown) => {
    process.stderr.write(
      `claw-cloud ${positionals[0]}: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  });
}
