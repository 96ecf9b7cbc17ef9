// Starts a throwaway REAL OpenClaw gateway with a fake LLM inside a loopback-only network namespace, and
// bridges its port to 127.0.0.1 of the test process. Cold start takes 15-40 s and about 1 GB RSS: start one
// per test file, in `before`, and stop it in `after`.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FakeLlmRequest } from './fake-llm.ts';
import { gatewayConfig } from './gateway-config.ts';
import { defaultPeerDir, ensureOpenClawInstalled, isAlive, OPENCLAW_VERSION } from './install.ts';
import type { RunnerSpec } from './namespace-runner.ts';
import { startRelay } from './relay.ts';

export type OpenClawPeerOptions = {
  /** Folder with the cached install; defaults to <repo>/.cache/openclaw-peer (or CLAW_OPENCLAW_PEER_DIR). */
  peerDir?: string;
  /**
   * "fake" (default): the gateway starts with the fake LLM as provider `fake` and default model `fake/echo-1`.
   * "none": no provider and no default model, like a fresh instance before its owner set one up; the fake
   * LLM still runs at `llmBaseUrl`, so a test can configure it through the protocol.
   */
  modelProvider?: 'fake' | 'none';
  /** The key the gateway sends to the fake LLM (default "fake-local"). */
  llmApiKey?: string;
  /** When set, the fake LLM rejects any other key with 401. */
  llmRequiredApiKey?: string;
  /** Pause between streamed words of the fake LLM (default 20 ms). */
  llmDelayMs?: number;
  /** How long to wait for the gateway's /readyz (default 180 s; NOTES §6 saw up to 41 s on a loaded host). */
  readyTimeoutMs?: number;
};

export type OpenClawPeer = {
  /** http://127.0.0.1:<port>, reachable from the test process; the gateway sees a loopback peer. */
  gatewayUrl: string;
  /** The gateway token (operator rights on this throwaway gateway). */
  token: string;
  /** The fake LLM's OpenAI-compatible base URL as the gateway reaches it (inside the peer's namespace). */
  llmBaseUrl: string;
  /** The gateway's HOME (its state is in `.openclaw/`), readable by the test process until stop(). */
  home: string;
  openclawVersion: string;
  llm: { requests(): Promise<FakeLlmRequest[]> };
  /** The tail of the gateway's own log, for failure messages. */
  gatewayLogTail(): string;
  stop(): Promise<void>;
};

// Fixed ports are safe: each peer has a network namespace of its own.
const GATEWAY_PORT = 18789;
const LLM_PORT = 18790;
const READY_POLL_MS = 250;
const STOP_BUDGET_MS = 25_000;
const MIN_NODE_MAJOR = 24;

const RUNNER = fileURLToPath(new URL('./namespace-runner.ts', import.meta.url));

// A private network namespace with only `lo` (nothing leaves the machine: the gateway resolves clawhub.ai
// even when hardened, NOTES §5), private tmpfs over the fixed /tmp/openclaw* paths, and a pid
// namespace so the gateway dies with the runner. --kill-child covers a test process killed with SIGKILL.
const NAMESPACE_ARGS = ['--user', '--map-root-user', '--net', '--mount', '--pid', '--mount-proc'];
// Only OpenClaw's own fixed /tmp paths (NOTES §5; uid 0 inside the namespace) get a private tmpfs, not
// all of /tmp: the repository itself (and its Node binary) may live under /tmp, as a CI checkout can.
const OPENCLAW_TMP_DIRS = [
  '/tmp/openclaw',
  '/tmp/openclaw-state-locks-0',
  '/tmp/.openclaw-terminal-staging-0',
];
const NAMESPACE_SETUP = `ip link set lo up && for d in ${OPENCLAW_TMP_DIRS.join(' ')}; do mkdir -p "$d" && mount -t tmpfs tmpfs "$d"; done && exec "$0" "$@"`;

function tail(text: string, max = 4000): string {
  return text.length > max ? text.slice(-max) : text;
}

function readTail(file: string): string {
  try {
    return tail(fs.readFileSync(file, 'utf8'));
  } catch {
    return '';
  }
}

function checkNode(): void {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < MIN_NODE_MAJOR) {
    throw new Error(
      `openclaw peer: needs Node >= 24.16 (running ${process.versions.node}); run tests with node_modules/.bin/node`,
    );
  }
}

async function probeReady(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5_000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

// Run folders of test processes that were killed before stop() (their namespaces died with them).
function removeAbandonedRuns(runsDir: string): void {
  for (const name of fs.readdirSync(runsDir)) {
    const owner = Number(/^r-(\d+)-/.exec(name)?.[1]);
    if (!(owner > 0 && isAlive(owner))) fs.rmSync(path.join(runsDir, name), { recursive: true, force: true });
  }
}

// A child that failed to spawn emits 'error' and never 'exit'.
function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
}

export async function startOpenClawPeer(options: OpenClawPeerOptions = {}): Promise<OpenClawPeer> {
  checkNode();
  const install = await ensureOpenClawInstalled(options.peerDir ?? defaultPeerDir()).catch((err: unknown) => {
    throw new Error(`openclaw peer: cannot install openclaw@${OPENCLAW_VERSION}: ${(err as Error).message}`, {
      cause: err,
    });
  });

  // The run folder is shared with the namespace, so it lives outside /tmp (which the namespace replaces).
  const runsDir = path.join(install.dir, 'runs');
  fs.mkdirSync(runsDir, { recursive: true });
  removeAbandonedRuns(runsDir);
  // The owner's pid is in the name, so a parallel test process never sees a folder without an owner.
  const runDir = fs.mkdtempSync(path.join(runsDir, `r-${process.pid}-`));
  const home = path.join(runDir, 'home');
  fs.mkdirSync(path.join(home, '.openclaw'), { recursive: true, mode: 0o700 });
  const token = crypto.randomBytes(32).toString('base64url');
  const llmBaseUrl = `http://127.0.0.1:${LLM_PORT}/v1`;
  const config = gatewayConfig({
    gatewayPort: GATEWAY_PORT,
    llm:
      options.modelProvider === 'none'
        ? undefined
        : { baseUrl: llmBaseUrl, apiKey: options.llmApiKey ?? 'fake-local' },
  });
  fs.writeFileSync(path.join(home, '.openclaw/openclaw.json'), JSON.stringify(config, null, 2), {
    mode: 0o600,
  });

  const spec: RunnerSpec = {
    openclawEntry: install.entry,
    home,
    gatewayPort: GATEWAY_PORT,
    gatewayLog: path.join(runDir, 'gateway.log'),
    socketPath: path.join(runDir, 'gateway.sock'),
    llmPort: LLM_PORT,
    llmLog: path.join(runDir, 'llm.jsonl'),
    llmRequiredApiKey: options.llmRequiredApiKey,
    llmDelayMs: options.llmDelayMs,
  };
  const runner = spawn(
    'unshare',
    [
      ...NAMESPACE_ARGS,
      '--kill-child=SIGKILL',
      'sh',
      '-c',
      NAMESPACE_SETUP,
      process.execPath,
      RUNNER,
      JSON.stringify(spec),
    ],
    {
      // The token travels in the environment, never on a command line that `ps` shows.
      env: {
        PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ''}`,
        OPENCLAW_GATEWAY_TOKEN: token,
      },
      stdio: ['pipe', 'ignore', 'pipe'],
    },
  );
  let runnerErr = '';
  runner.stderr?.on('data', (chunk: Buffer) => {
    runnerErr = tail(runnerErr + chunk.toString('utf8'));
  });
  let spawnError: Error | undefined;
  runner.on('error', (err) => {
    spawnError = err;
  });
  const runnerExit = exitOf(runner);
  const relay = await startRelay({ host: '127.0.0.1', port: 0 }, { path: spec.socketPath });
  const gatewayUrl = `http://127.0.0.1:${relay.port}`;

  let stopped = false;
  async function stop(): Promise<void> {
    if (stopped) return;
    stopped = true;
    // Closing stdin asks the runner to stop the gateway gracefully; SIGKILL on unshare is the backstop.
    runner.stdin?.end();
    const killer = setTimeout(() => runner.kill('SIGKILL'), STOP_BUDGET_MS);
    await runnerExit;
    clearTimeout(killer);
    await relay.close();
    fs.rmSync(runDir, { recursive: true, force: true });
  }

  const describeFailure = (what: string) =>
    `openclaw peer: ${what}\n--- namespace runner ---\n${runnerErr}\n--- gateway log ---\n${readTail(spec.gatewayLog)}`;
  try {
    const deadline = Date.now() + (options.readyTimeoutMs ?? 180_000);
    let runnerGone = false;
    void runnerExit.then(() => {
      runnerGone = true;
    });
    while (!(await probeReady(gatewayUrl))) {
      if (spawnError) {
        throw new Error(
          `openclaw peer: cannot start unshare (${spawnError.message}); util-linux is required`,
        );
      }
      if (runnerGone) {
        const hint = /unshare|Operation not permitted|ip:|mount:/.test(runnerErr)
          ? 'cannot create the loopback-only network namespace (needs unprivileged user namespaces, `ip`)'
          : 'the gateway stopped before it was ready';
        throw new Error(describeFailure(hint));
      }
      if (Date.now() > deadline) throw new Error(describeFailure('gateway not ready before the deadline'));
      await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
    }
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    gatewayUrl,
    token,
    llmBaseUrl,
    home,
    openclawVersion: OPENCLAW_VERSION,
    llm: {
      requests: async () => {
        const text = await fs.promises.readFile(spec.llmLog, 'utf8').catch(() => '');
        return text
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as FakeLlmRequest);
      },
    },
    gatewayLogTail: () => readTail(spec.gatewayLog),
    stop,
  };
}
