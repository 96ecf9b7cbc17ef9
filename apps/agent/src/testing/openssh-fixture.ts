// A real OpenSSH server on 127.0.0.1:<free port>, configured the way the bootstrap configures an instance:
// the main sshd_config includes a drop-in folder, and the bootstrap's hardening drop-in is in it. Runs as
// root (sshd needs it to switch users). Creates a throwaway support account with a unique name (so parallel
// runs on one CI machine never share one) and removes everything it created in stop().
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { killSessions } from '../support/session-killer.ts';

const TOOLS = ['sshd', 'ssh', 'ssh-keygen', 'script', 'mkfifo', 'useradd', 'userdel', 'id'];
const PRIVSEP_DIR = '/run/sshd';
const START_TIMEOUT_MS = 10_000;
const SSH_TIMEOUT_MS = 20_000;

/** Why this machine cannot run the fixture, or undefined when it can. */
export function opensshUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (sshd switches to the support account)';
  const missing = TOOLS.filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
  if (missing.length > 0)
    return `missing ${missing.join(', ')}: apt-get install -y --no-install-recommends openssh-server openssh-client`;
  return undefined;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export type SshResult = { code: number | null; stdout: string; stderr: string };

/** A known_hosts file and the name ssh looks sshd's key up by in it (ssh_config(5) HostKeyAlias). */
export type KnownHosts = { file: string; alias: string };

export type LiveSession = {
  output(): string;
  waitFor(pattern: RegExp): Promise<void>;
  write(text: string): void;
  /** Resolves with the time (Date.now()) the ssh client exited. */
  exited: Promise<number>;
};

export async function startOpenSshFixture() {
  // sshd's StrictModes wants every folder above the principals file root-owned and not world-writable, which
  // rules out /tmp; /run is root's and tmpfs.
  const root = fs.mkdtempSync('/run/claw-support-test-');
  fs.chmodSync(root, 0o755);
  const dir = (name: string) => {
    const full = path.join(root, name);
    fs.mkdirSync(full, { recursive: true, mode: 0o755 });
    return full;
  };
  const sshDir = dir('ssh');
  const dropInDir = dir('ssh/sshd_config.d');
  const keysDir = dir('keys');
  dir('sudoers.d');
  fs.chmodSync(keysDir, 0o700);
  const user = `claw-support-t${crypto.randomBytes(3).toString('hex')}`;
  execFileSync('useradd', [
    '--system',
    '--shell',
    '/bin/sh',
    '--home-dir',
    path.join(root, 'home'),
    '--create-home',
    user,
  ]);
  const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
  // sshd's privilege separation folder, shared by every sshd on the machine: created when missing and left
  // in place, since another test file's sshd may be using it (removing it breaks that sshd's `-t` and reload).
  fs.mkdirSync(PRIVSEP_DIR, { recursive: true, mode: 0o755 });

  const keygen = (...args: string[]) => execFileSync('ssh-keygen', ['-q', ...args], { stdio: 'pipe' });
  const newKey = (name: string) => {
    keygen('-t', 'ed25519', '-N', '', '-C', name, '-f', path.join(keysDir, name));
    return path.join(keysDir, name);
  };
  const hostKey = newKey('host');
  const keys = { supportCa: newKey('support-ca'), otherCa: newKey('other-ca'), engineer: newKey('engineer') };
  const port = await freePort();
  const pidFile = path.join(root, 'sshd.pid');
  const sshdConfig = path.join(sshDir, 'sshd_config');
  // What packages/bootstrap/src/ssh.ts writes (00-claw-hardening.conf), and Debian's stock sshd_config lines.
  fs.writeFileSync(
    path.join(dropInDir, '00-claw-hardening.conf'),
    [
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitEmptyPasswords no',
      'PermitRootLogin no',
      'AuthenticationMethods publickey',
      'MaxAuthTries 3',
      'X11Forwarding no',
      'AllowAgentForwarding no',
      'AllowTcpForwarding no',
      '',
    ].join('\n'),
  );
  fs.writeFileSync(
    sshdConfig,
    [
      `Include ${dropInDir}/*.conf`,
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${pidFile}`,
      'UsePAM yes',
      'PrintMotd no',
      'AcceptEnv LANG LC_*',
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  );
  fs.writeFileSync(
    path.join(root, 'known_hosts'),
    `[127.0.0.1]:${port} ${fs.readFileSync(`${hostKey}.pub`, 'utf8')}`,
  );
  let sshdLog = '';
  const sshd = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', sshdConfig], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  sshd.stderr.on('data', (chunk: Buffer) => (sshdLog += chunk.toString()));
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!sshdLog.includes(`Server listening on 127.0.0.1 port ${port}`)) {
    if (Date.now() > deadline || sshd.exitCode !== null) throw new Error(`sshd did not start: ${sshdLog}`);
    await sleep(20);
  }

  let certificates = 0;
  /** Signs the engineer's key (ssh-keygen(1) CERTIFICATES) and returns the certificate's path. */
  function sign(ca: string, principal: string, validity: string): string {
    certificates += 1;
    const pub = path.join(keysDir, `cert-${certificates}.pub`);
    fs.copyFileSync(`${keys.engineer}.pub`, pub);
    keygen(
      '-s',
      ca,
      '-I',
      `engineer-${certificates}@support.test`,
      '-n',
      principal,
      '-V',
      validity,
      '-z',
      String(certificates),
      pub,
    );
    return path.join(keysDir, `cert-${certificates}-cert.pub`);
  }

  /**
   * `proxyCommand`: reach sshd through it (ssh_config(5) ProxyCommand) instead of connecting directly. The
   * host name then does not resolve and the port is closed, so a login can only have come through the proxy.
   * sshd's key is checked strictly (never trusted on first use) against `knownHosts`, by default the fixture's
   * own file with sshd's key under `[127.0.0.1]:<port>`.
   */
  function sshArgs(
    certificate: string,
    login: string,
    proxyCommand?: string,
    knownHosts: KnownHosts = { file: path.join(root, 'known_hosts'), alias: `[127.0.0.1]:${port}` },
  ): string[] {
    const target = proxyCommand ? ['-p', '9', '-o', `ProxyCommand=${proxyCommand}`] : ['-p', String(port)];
    return [
      '-F',
      'none',
      ...target,
      '-o',
      `HostKeyAlias=${knownHosts.alias}`,
      '-o',
      `UserKnownHostsFile=${knownHosts.file}`,
      '-o',
      'GlobalKnownHostsFile=/dev/null',
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'BatchMode=yes',
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'ConnectTimeout=5',
      '-o',
      'LogLevel=ERROR',
      '-i',
      keys.engineer,
      '-o',
      `CertificateFile=${certificate}`,
      `${login}@${proxyCommand ? 'support-tunnel.invalid' : '127.0.0.1'}`,
    ];
  }

  /** `ssh host <command>` without a terminal. */
  function exec(
    certificate: string,
    command: string,
    login = user,
    proxyCommand?: string,
    knownHosts?: KnownHosts,
  ): Promise<SshResult> {
    const child = spawn('ssh', [...sshArgs(certificate, login, proxyCommand, knownHosts), command], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), SSH_TIMEOUT_MS);
    return new Promise((resolve) =>
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      }),
    );
  }

  /** An interactive shell with a terminal (-tt), kept open until the server ends it. */
  function open(certificate: string, proxyCommand?: string): LiveSession {
    const child = spawn('ssh', ['-tt', ...sshArgs(certificate, user, proxyCommand)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    const exited = new Promise<number>((resolve) =>
      child.on('exit', () => {
        clearTimeout(timer);
        resolve(Date.now());
      }),
    );
    return {
      output: () => output,
      write: (text) => child.stdin.write(text),
      exited,
      async waitFor(pattern) {
        const until = Date.now() + SSH_TIMEOUT_MS;
        while (!pattern.test(output)) {
          if (Date.now() > until || child.exitCode !== null)
            throw new Error(`no ${pattern} in session output: ${JSON.stringify(output)}`);
          await sleep(20);
        }
      },
    };
  }

  /** sshd's effective settings for a login as `login` (sshd(8) -T -C). */
  function effective(login: string): string {
    return execFileSync(
      '/usr/sbin/sshd',
      ['-T', '-f', sshdConfig, '-C', `user=${login},host=client,addr=127.0.0.1`],
      {
        encoding: 'utf8',
      },
    );
  }

  async function stop(): Promise<void> {
    sshd.kill('SIGTERM');
    const exited = await Promise.race([
      new Promise((resolve) => (sshd.exitCode !== null ? resolve(true) : sshd.once('exit', resolve))),
      sleep(5_000, false),
    ]);
    if (exited === false) sshd.kill('SIGKILL');
    // Not pkill -u: it would also hit processes of the same uid in containers on this machine.
    await killSessions(user);
    execFileSync('userdel', [user]);
    fs.rmSync(root, { recursive: true, force: true });
  }

  return {
    root,
    user,
    uid,
    port,
    keys,
    sshdConfig,
    dropInDir,
    pidFile,
    sign,
    exec,
    open,
    effective,
    sshdLog: () => sshdLog,
    stop,
    caPublicKey: () => fs.readFileSync(`${keys.supportCa}.pub`, 'utf8').trim(),
    /** sshd's host key as `type base64`, without the comment. */
    hostPublicKey: () => fs.readFileSync(`${hostKey}.pub`, 'utf8').split(' ').slice(0, 2).join(' '),
  };
}

export type OpenSshFixture = Awaited<ReturnType<typeof startOpenSshFixture>>;
