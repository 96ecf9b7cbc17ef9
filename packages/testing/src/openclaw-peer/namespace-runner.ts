// Runs INSIDE the peer's loopback-only namespace (started by start-peer.ts): the fake LLM, the real gateway,
// and the relay that exposes the gateway port as a unix socket in a folder shared with the test process.
// It stops everything when its stdin closes (the test process ended or asked it to stop).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { startFakeLlm } from './fake-llm.ts';
import { startRelay } from './relay.ts';

export type RunnerSpec = {
  openclawEntry: string;
  home: string;
  gatewayPort: number;
  gatewayLog: string;
  socketPath: string;
  llmPort: number;
  llmLog: string;
  llmRequiredApiKey?: string;
  llmDelayMs?: number;
};

const STOP_GRACE_MS = 15_000;

async function run(spec: RunnerSpec): Promise<number> {
  const llm = await startFakeLlm({
    port: spec.llmPort,
    logFile: spec.llmLog,
    requiredApiKey: spec.llmRequiredApiKey,
    delayMs: spec.llmDelayMs,
  });
  const relay = await startRelay({ path: spec.socketPath }, { host: '127.0.0.1', port: spec.gatewayPort });
  const logFd = fs.openSync(spec.gatewayLog, 'a');
  // The gateway gets a minimal environment: nothing from the developer's shell (API keys, proxies) leaks in.
  // The flags are the "embedding preset" of docs/gateway/embedding.md (NOTES §1.4).
  const gateway = spawn(
    process.execPath,
    [spec.openclawEntry, 'gateway', 'run', '--port', String(spec.gatewayPort), '--bind', 'loopback'],
    {
      env: {
        PATH: process.env.PATH,
        HOME: spec.home,
        TZ: 'UTC',
        OPENCLAW_GATEWAY_TOKEN: process.env.OPENCLAW_GATEWAY_TOKEN,
        OPENCLAW_NO_AUTO_UPDATE: '1',
        OPENCLAW_DISABLE_BONJOUR: '1',
        OPENCLAW_SKIP_CHANNELS: '1',
        OPENCLAW_NO_RESPAWN: '1',
        OPENCLAW_EXEC_SHELL_SNAPSHOT: '0',
      },
      stdio: ['ignore', logFd, logFd],
    },
  );
  const exited = new Promise<number>((resolve) =>
    gateway.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))),
  );
  const stopRequested = new Promise<void>((resolve) => {
    process.stdin.on('end', resolve);
    process.stdin.on('close', resolve);
    process.stdin.resume();
  });
  const first = await Promise.race([
    exited.then(() => 'exited' as const),
    stopRequested.then(() => 'stop' as const),
  ]);
  let code = 0;
  if (first === 'exited') {
    code = await exited;
    process.stderr.write(`openclaw gateway exited early with code ${code}\n`);
  } else {
    // SIGTERM: the gateway sends `shutdown`, closes sockets with 1012 and exits in 0.7-4 s (NOTES §1.4).
    gateway.kill('SIGTERM');
    const killer = setTimeout(() => gateway.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(killer);
  }
  fs.closeSync(logFd);
  await relay.close();
  await llm.close();
  return code;
}

if (import.meta.main) {
  const spec = JSON.parse(process.argv[2] ?? '') as RunnerSpec;
  process.exitCode = await run(spec);
}
