// The support account's ForceCommand (sshd_config(5) ForceCommand): every support session, interactive or
// `ssh host <command>`, runs through this wrapper as the support account. It connects to the agent's socket
// first and refuses the session if it cannot (no recording, no session), then runs the shell and streams
// what it sees to the agent, which appends it to the hash-chained log:
//   - with a terminal: the shell runs under script(1) (util-linux), which sits between the user's terminal and
//     a new pseudo-terminal and copies the keystrokes (-I) and the terminal output (-O) into two FIFOs we read;
//   - without one: the command runs with pipes, and its stdin and stdout/stderr are relayed and recorded.
// If the agent drops the connection (grant ended, agent stopped) the session is ended.
// Usage (written into the drop-in by the agent): node recorder-main.ts <socket path>
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import tty from 'node:tty';
import { ACK } from './recorder-protocol.ts';
import type { RecorderMessage } from './recorder-protocol.ts';

const CONNECT_TIMEOUT_MS = 5_000;
const DRAIN_TIMEOUT_MS = 2_000;
const SHELL = '/bin/bash';

function fail(message: string): never {
  fs.writeSync(2, `Claw Cloud support: ${message}\r\n`);
  process.exit(1);
}

function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return Promise.race([promise, sleep(ms, undefined, { ref: false })]);
}

/**
 * The certificate line of sshd's ExposeAuthInfo file (sshd_config(5)). The file is removed once read: sshd
 * deletes it only when the session ends normally, and a killed session would leave it in /tmp.
 */
function takeAuthInfo(): string | null {
  const file = process.env.SSH_USER_AUTH;
  if (!file) return null;
  const text = fs.readFileSync(file, 'utf8');
  fs.rmSync(file, { force: true });
  return text.split('\n').find((line) => line.startsWith('publickey ')) ?? null;
}

async function connect(socketPath: string): Promise<net.Socket> {
  const socket = net.connect(socketPath);
  socket.on('error', () => socket.destroy());
  let acked = '';
  const ready = new Promise<boolean>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      acked += chunk.toString('utf8');
      if (acked === ACK) resolve(true);
    });
    socket.on('close', () => resolve(false));
  });
  send(socket, {
    t: 'start',
    tty: tty.isatty(0),
    command: process.env.SSH_ORIGINAL_COMMAND ?? null,
    connection: process.env.SSH_CONNECTION ?? null,
    auth: takeAuthInfo(),
  });
  if ((await within(ready, CONNECT_TIMEOUT_MS)) !== true)
    fail('session recording is unavailable, so the session is not opened.');
  return socket;
}

function send(socket: net.Socket, message: RecorderMessage): void {
  if (!socket.destroyed) socket.write(`${JSON.stringify(message)}\n`);
}

/** Sends a stream's chunks as text; the decoder keeps a character split across two reads whole. */
function recordFrom(socket: net.Socket, stream: Readable, t: 'in' | 'out', relay?: NodeJS.WritableStream) {
  const decoder = new StringDecoder('utf8');
  stream.on('data', (chunk: Buffer) => {
    relay?.write(chunk);
    const d = decoder.write(chunk);
    if (d) send(socket, { t, d });
  });
  return once(stream, 'close');
}

function withTerminal(socket: net.Socket, command: string | undefined) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'claw-support-'));
  const fifos = { in: path.join(dir, 'in'), out: path.join(dir, 'out') };
  execFileSync('mkfifo', ['-m', '600', fifos.in, fifos.out]);
  // -q no banner on the terminal, -f flush every write, -e return the shell's exit status.
  const args = ['-q', '-f', '-e', '-I', fifos.in, '-O', fifos.out, ...(command ? ['-c', command] : [])];
  const child = spawn('script', args, { stdio: 'inherit', env: { ...process.env, SHELL } });
  const streams = { in: fs.createReadStream(fifos.in), out: fs.createReadStream(fifos.out) };
  // Once both ends are open the names are no longer needed: remove them now, so a session killed with
  // SIGKILL leaves nothing behind in /tmp.
  const removeDir = () => fs.rmSync(dir, { recursive: true, force: true });
  void Promise.all([once(streams.in, 'open'), once(streams.out, 'open')]).then(removeDir, removeDir);
  child.once('exit', removeDir);
  const drained = Promise.all([recordFrom(socket, streams.in, 'in'), recordFrom(socket, streams.out, 'out')]);
  return { child, drained };
}

function withPipes(socket: net.Socket, command: string | undefined) {
  const child = spawn(SHELL, command ? ['-c', command] : [], { stdio: 'pipe' });
  process.stdin.on('end', () => child.stdin.end());
  child.stdin.on('error', () => undefined); // the command may exit without reading all its input
  void recordFrom(socket, process.stdin, 'in', child.stdin);
  const drained = Promise.all([
    recordFrom(socket, child.stdout, 'out', process.stdout),
    recordFrom(socket, child.stderr, 'out', process.stderr),
  ]);
  return { child, drained };
}

function exitCodeOf(child: ChildProcess): number {
  if (child.exitCode !== null) return child.exitCode;
  return 128 + (os.constants.signals[child.signalCode ?? 'SIGKILL'] ?? 9);
}

const socketPath = process.argv[2];
if (!socketPath) fail('recorder socket not configured.');
const socket = await connect(socketPath);
const command = process.env.SSH_ORIGINAL_COMMAND || undefined;
const { child, drained } = tty.isatty(0) ? withTerminal(socket, command) : withPipes(socket, command);
let ended = false;
socket.on('close', () => {
  if (ended) return;
  child.kill('SIGKILL');
  fail('the support session was ended (access revoked or expired).');
});
await once(child, 'exit');
await within(drained, DRAIN_TIMEOUT_MS);
const code = exitCodeOf(child);
send(socket, { t: 'end', code });
ended = true;
socket.end();
await within(once(socket, 'close'), DRAIN_TIMEOUT_MS);
process.exit(code);
