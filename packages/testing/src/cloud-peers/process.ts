// Shared plumbing of the cloud peers: a free loopback port, a child process that is always stopped, and
// bounded readiness polling. Every wait here has a deadline; nothing loops forever.
import { spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import net from 'node:net';

const LOG_TAIL = 4000;
const STOP_GRACE_MS = 5_000;

/** Asks the kernel for a free port on 127.0.0.1 (port 0), so parallel test files never collide. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('cloud peers: could not read the free port'));
      });
    });
  });
}

export type PeerProcess = {
  child: ChildProcess;
  /** The last few KB of stdout+stderr, for failure messages. */
  logTail(): string;
  exited(): boolean;
  stop(): Promise<void>;
};

/**
 * Spawns a peer process without a shell (the recorded pid is the server itself, not a subshell, see
 * shared/notes/cloud-test-peers.md §6) and makes sure it dies with the test process.
 */
export function spawnPeer(command: string, args: string[], options: SpawnOptions = {}): PeerProcess {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const append = (chunk: Buffer): void => {
    log = (log + chunk.toString('utf8')).slice(-LOG_TAIL);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  // A spawn failure (ENOENT) arrives as an 'error' event; keep it in the log instead of crashing the test.
  child.on('error', (err) => {
    log += `\n[spawn error] ${err.message}`;
  });
  const killOnExit = (): void => {
    if (!hasExited(child)) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  return {
    child,
    logTail: () => log,
    exited: () => hasExited(child),
    async stop() {
      process.removeListener('exit', killOnExit);
      if (hasExited(child)) return;
      const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exit;
      clearTimeout(timer);
    },
  };
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null || child.pid === undefined;
}

/**
 * Polls `probe` until it returns true, the process dies, or the deadline passes. The interval is fixed and
 * the number of attempts is bounded by the deadline.
 */
export async function waitUntilReady(opts: {
  name: string;
  peer: PeerProcess;
  probe: () => Promise<boolean>;
  timeoutMs: number;
  intervalMs?: number;
}): Promise<void> {
  const interval = opts.intervalMs ?? 200;
  const maxAttempts = Math.ceil(opts.timeoutMs / interval);
  const deadline = Date.now() + opts.timeoutMs;
  for (let attempt = 0; attempt < maxAttempts && Date.now() < deadline; attempt++) {
    if (opts.peer.exited()) {
      throw new Error(`${opts.name} exited before it was ready:\n${opts.peer.logTail()}`);
    }
    if (await opts.probe()) return;
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
  await opts.peer.stop();
  throw new Error(`${opts.name} not ready after ${opts.timeoutMs} ms:\n${opts.peer.logTail()}`);
}

/**
 * Runs `start` on a fresh free port, retrying (at most `attempts` times) only when another process grabbed the
 * port between `freePort()` and the peer binding it.
 */
export async function withFreePort<T>(start: (port: number) => Promise<T>, attempts = 3): Promise<T> {
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      return await start(await freePort());
    } catch (err) {
      lastError = err;
      if (!/EADDRINUSE|address already in use/i.test((err as Error).message)) throw err;
    }
  }
  throw lastError;
}

/** True when something answers HTTP at `url` (any status): the server is listening. */
export async function answersHttp(url: string, init: RequestInit = {}): Promise<boolean> {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}
