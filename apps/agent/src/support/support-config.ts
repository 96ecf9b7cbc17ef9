// Where support access lives on the instance. Every path is configurable so tests can run a real sshd with its
// own configuration folder; the defaults are what the bootstrap sets up on a Debian/Ubuntu server
// (docs/support-access.md, "What the bootstrap sets up").
import net from 'node:net';
import path from 'node:path';

export type SupportConfig = Readonly<{
  /** The one account support engineers log in as. */
  user: string;
  /** sshd binary, for `sshd -t` before every reload. */
  sshd: string;
  /** The main sshd_config; it must `Include` the folder of `dropIn`. */
  sshdConfig: string;
  /** Written while a grant is active, deleted otherwise. */
  dropIn: string;
  /** Holds the CA key and the principals file. sshd's StrictModes wants it and its parents root-owned. */
  trustDir: string;
  /** Written only for an administrator grant. */
  sudoers: string;
  /** sshd's PidFile, for the reload (SIGHUP). Absent = no daemon to reload (socket activation). */
  sshdPidFile: string;
  /** The recorder's unix socket; only the support account may connect. */
  socket: string;
  /** Where the support tunnel connects to sshd (docs/support-tunnel.md): loopback only. */
  sshAddress: Readonly<{ host: string; port: number }>;
}>;

const DEFAULTS: SupportConfig = {
  user: 'claw-support',
  sshd: '/usr/sbin/sshd',
  sshdConfig: '/etc/ssh/sshd_config',
  dropIn: '/etc/ssh/sshd_config.d/50-claw-support.conf',
  trustDir: '/etc/ssh/claw-support',
  sudoers: '/etc/sudoers.d/50-claw-support',
  sshdPidFile: '/run/sshd.pid',
  socket: '/run/claw-agent/support.sock',
  sshAddress: { host: '127.0.0.1', port: 22 },
};

const ENV_KEYS: Record<Exclude<keyof SupportConfig, 'user' | 'sshAddress'>, string> = {
  sshd: 'CLAW_AGENT_SUPPORT_SSHD',
  sshdConfig: 'CLAW_AGENT_SUPPORT_SSHD_CONFIG',
  dropIn: 'CLAW_AGENT_SUPPORT_DROP_IN',
  trustDir: 'CLAW_AGENT_SUPPORT_TRUST_DIR',
  sudoers: 'CLAW_AGENT_SUPPORT_SUDOERS',
  sshdPidFile: 'CLAW_AGENT_SUPPORT_SSHD_PID_FILE',
  socket: 'CLAW_AGENT_SUPPORT_SOCKET',
};

// Paths end up in sshd_config and in a shell command line (ForceCommand): no quotes, spaces or newlines.
const SAFE_PATH = /^\/[A-Za-z0-9_./@+-]{1,200}$/;
// useradd(8) names; also a valid sshd_config Match pattern without wildcards.
const USER_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;

/**
 * `127.x.y.z:port` or `[::1]:port`. Loopback only: whatever the environment says, the tunnel cannot be turned
 * into a relay from the agent's port to another machine.
 */
function sshAddress(raw: string | undefined): SupportConfig['sshAddress'] | undefined {
  if (!raw) return DEFAULTS.sshAddress;
  const match = /^(?:(127\.\d{1,3}\.\d{1,3}\.\d{1,3})|\[(::1)\]):(\d{1,5})$/.exec(raw);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (host === undefined || net.isIP(host) === 0 || port < 1 || port > 65535) return undefined;
  return Object.freeze({ host, port });
}

/** Support access is off unless CLAW_AGENT_SUPPORT=on; then every path has a default. */
export function loadSupportConfig(env: NodeJS.ProcessEnv, bad: string[]): SupportConfig | undefined {
  if (env.CLAW_AGENT_SUPPORT !== 'on') {
    if (env.CLAW_AGENT_SUPPORT) bad.push('CLAW_AGENT_SUPPORT (on or unset)');
    return undefined;
  }
  const user = env.CLAW_AGENT_SUPPORT_USER || DEFAULTS.user;
  if (!USER_NAME.test(user)) bad.push('CLAW_AGENT_SUPPORT_USER');
  const ssh = sshAddress(env.CLAW_AGENT_SUPPORT_SSH_ADDRESS);
  if (ssh === undefined) bad.push('CLAW_AGENT_SUPPORT_SSH_ADDRESS (127.x.y.z:port or [::1]:port)');
  const config: Record<string, unknown> = { user, sshAddress: ssh };
  for (const [field, key] of Object.entries(ENV_KEYS)) {
    const value = env[key] || DEFAULTS[field as keyof typeof ENV_KEYS];
    if (!SAFE_PATH.test(value) || path.normalize(value) !== value) bad.push(key);
    config[field] = value;
  }
  return Object.freeze(config as SupportConfig);
}
