// The entrypoint as the operator runs it: a child process with only the environment.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

const MAIN = path.join(import.meta.dirname, 'main.ts');
const TOKEN = 'gateway-token-canary-7f3a9c';

function run(env: Record<string, string>) {
  const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env.PATH ?? '', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => ({ stdout, stderr }) };
}

test('first start prints URL port, fingerprint and code once; SIGTERM stops it; the token is never printed', async () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'claw-agent-main-'));
  const agent = run({
    CLAW_AGENT_STATE_DIR: stateDir,
    CLAW_AGENT_HOST: '127.0.0.1',
    CLAW_AGENT_PORT: '0',
    OPENCLAW_GATEWAY_TOKEN: TOKEN,
  });
  await new Promise<void>((resolve, reject) => {
    agent.child.stdout.on('data', () => {
      if (agent.output().stdout.includes('restart the agent')) resolve();
    });
    void agent.exited.then(() => reject(new Error(`agent exited: ${agent.output().stderr}`)));
  });
  agent.child.kill('SIGTERM');
  assert.equal(await agent.exited, 0);
  const { stdout, stderr } = agent.output();
  assert.match(stdout, /Fingerprint: ([0-9A-F]{2}:){31}[0-9A-F]{2}/);
  assert.match(stdout, /Code: {8}[A-Za-z0-9_-]{22}/);
  assert.match(stdout, /"event":"agent.started"/);
  assert.ok(!`${stdout}${stderr}`.includes(TOKEN));
  assert.equal(fs.statSync(path.join(stateDir, 'tls-key.pem')).mode & 0o777, 0o600);
  fs.rmSync(stateDir, { recursive: true, force: true });
});

test('a bad environment exits with EX_CONFIG (78), naming keys only', async () => {
  const agent = run({ CLAW_AGENT_PORT: 'not-a-port', OPENCLAW_GATEWAY_TOKEN: TOKEN });
  assert.equal(await agent.exited, 78);
  const { stdout, stderr } = agent.output();
  assert.match(stderr, /CLAW_AGENT_STATE_DIR.*CLAW_AGENT_PORT/);
  assert.ok(!`${stdout}${stderr}`.includes(TOKEN) && !stderr.includes('not-a-port'));
});
