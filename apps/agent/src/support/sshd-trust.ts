// The sshd side of a grant. While a grant is active the agent writes:
//   <trustDir>/ca.pub       the support CA (sshd_config(5) TrustedUserCAKeys)
//   <trustDir>/principals   the grant's principal with its options (sshd_config(5) AuthorizedPrincipalsFile)
//   <dropIn>                a `Match User <support user>` block pointing at both, with the recorder as ForceCommand
//   <sudoers>               only for an administrator grant
// and deletes all four when it ends. sshd reads the CA and principals files at every authentication, so
// deleting them refuses the next login at once; the drop-in is applied by a reload (SIGHUP, as Debian's
// ssh.service does after `sshd -t`). Without a grant nothing of ours is in sshd's configuration.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { Grant } from './grant.ts';
import type { SupportConfig } from './support-config.ts';
import { SupportError } from './support-error.ts';

const run = promisify(execFile);
const RELOAD_WAIT_MS = 5_000;

/** sshd(8) AUTHORIZED_KEYS FILE FORMAT, expiry-time="YYYYMMDDHHMMSSZ" (UTC). */
export function expiryTime(epochMs: number): string {
  return `${new Date(epochMs).toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

/**
 * One line for the grant's principal. The options repeat the grant's bounds inside sshd, independent of the
 * agent and of what the CA put in the certificate: `expiry-time` refuses logins after notAfter even if the
 * agent is down, `from` restricts source addresses, `restrict,pty` drops every forwarding but keeps a terminal.
 */
export function renderPrincipals(grant: Grant): string {
  const options = ['restrict', 'pty', `expiry-time="${expiryTime(grant.notAfter)}"`];
  if (grant.sourceAddresses.length > 0) options.push(`from="${grant.sourceAddresses.join(',')}"`);
  return `${options.join(',')} ${grant.principal}\n`;
}

export function renderDropIn(config: SupportConfig, recorderCommand: string): string {
  const trust = (file: string) => path.join(config.trustDir, file);
  return [
    '# Claw Cloud support access: written by the agent while a grant is active, deleted when it ends.',
    '# See docs/support-access.md. Only the support account is affected (Match User).',
    `Match User ${config.user}`,
    `\tTrustedUserCAKeys ${trust('ca.pub')}`,
    `\tAuthorizedPrincipalsFile ${trust('principals')}`,
    // Certificates only: no authorized_keys, passwords or keyboard-interactive for this account.
    '\tAuthorizedKeysFile none',
    '\tAuthenticationMethods publickey',
    '\tPasswordAuthentication no',
    '\tKbdInteractiveAuthentication no',
    // Every session, with or without a command (and subsystem requests), goes through the recorder.
    `\tForceCommand ${recorderCommand}`,
    // ExposeAuthInfo: the recorder reads which certificate (key ID, serial) opened the session.
    '\tExposeAuthInfo yes',
    '\tDisableForwarding yes',
    '\tPermitTunnel no',
    '\tPermitUserRC no',
    '\tPermitTTY yes',
    '',
  ].join('\n');
}

export function renderSudoers(user: string): string {
  return `# Claw Cloud support access (administrator grant); deleted when the grant ends.\n${user} ALL=(ALL:ALL) NOPASSWD: ALL\n`;
}

/** Write-then-rename, so sshd never reads half a file. */
function writeAtomic(file: string, content: string, mode: number): void {
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, content, { mode });
  fs.chmodSync(tmp, mode);
  fs.renameSync(tmp, file);
}

function remove(file: string): boolean {
  try {
    fs.unlinkSync(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

export type SshdTrust = ReturnType<typeof createSshdTrust>;

export function createSshdTrust(config: SupportConfig, recorderCommand: string) {
  const files = {
    ca: path.join(config.trustDir, 'ca.pub'),
    principals: path.join(config.trustDir, 'principals'),
  };

  async function check(): Promise<void> {
    try {
      await run(config.sshd, ['-t', '-f', config.sshdConfig], { timeout: 10_000 });
    } catch (err) {
      throw new SupportError('sshd_config_invalid', { cause: err });
    }
  }

  /** Identity of the pid file as written: a rewritten file differs in inode or modification time. */
  function pidFileVersion(): string | undefined {
    try {
      const stat = fs.statSync(config.sshdPidFile, { bigint: true });
      return `${stat.ino}:${stat.mtimeNs}`;
    } catch {
      return undefined;
    }
  }

  /**
   * SIGHUP makes sshd re-execute itself and re-read its configuration (sshd(8) "SIGHUP"); it removes its pid
   * file and writes a new one once it listens again, which is when the change is in force.
   */
  async function reload(): Promise<void> {
    await check();
    const before = pidFileVersion();
    if (before === undefined) return; // no daemon: a socket-activated sshd reads the config per connection
    const pid = Number(fs.readFileSync(config.sshdPidFile, 'utf8').trim());
    // A stale pid file could name an unrelated process by now.
    if (!Number.isInteger(pid) || !fs.readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('sshd')) return;
    process.kill(pid, 'SIGHUP');
    const deadline = Date.now() + RELOAD_WAIT_MS;
    while (Date.now() < deadline) {
      const now = pidFileVersion();
      if (now !== undefined && now !== before) return;
      await sleep(20);
    }
    throw new SupportError('sshd_reload_timeout');
  }

  return {
    async install(grant: Grant): Promise<void> {
      // No sudoers.d folder means no sudo: an administrator grant could not give what it promises.
      if (grant.admin && !fs.existsSync(path.dirname(config.sudoers)))
        throw new SupportError('sudo_unavailable');
      fs.mkdirSync(config.trustDir, { recursive: true, mode: 0o755 });
      writeAtomic(files.ca, `${grant.caPublicKey}\n`, 0o644);
      writeAtomic(files.principals, renderPrincipals(grant), 0o644);
      if (grant.admin) writeAtomic(config.sudoers, renderSudoers(config.user), 0o440);
      else remove(config.sudoers);
      writeAtomic(config.dropIn, renderDropIn(config, recorderCommand), 0o644);
      await reload();
    },

    /**
     * Deletes the trust at once (the next authentication already fails) and reports whether the drop-in was
     * there, i.e. whether sshd needs a reload to forget the Match block.
     */
    withdraw(): boolean {
      remove(files.ca);
      remove(files.principals);
      remove(config.sudoers);
      return remove(config.dropIn);
    },

    reload,
  };
}
