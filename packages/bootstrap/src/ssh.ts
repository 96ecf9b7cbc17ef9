// SSH stays installed but closed: it listens on loopback only, the firewall blocks port 22 as well, no key or
// certificate authority of ours is trusted, and password and root logins are off. Support access
// (docs/support-access.md) reaches sshd only through a tunnel in the agent's HTTPS API, and only while the
// user grants it: the agent then adds a certificate authority for the support account and removes it again.
import { SSHD_DROP_IN_DIR, SUPPORT_USER } from './layout.ts';
import type { WriteFile } from './write-file.ts';

// sshd uses the first value it reads for a keyword, and Debian/Ubuntu include sshd_config.d/*.conf at the top
// of sshd_config in name order, so "00-" wins over the image's own drop-ins (e.g. Ubuntu's 50-cloud-init.conf).
export const SSHD_DROP_IN_PATH = `${SSHD_DROP_IN_DIR}/00-claw-hardening.conf`;

/** sshd_config(5) keyword → value. `sshd -T` prints the keywords in lower case. */
export const SSHD_SETTINGS = {
  PasswordAuthentication: 'no',
  KbdInteractiveAuthentication: 'no',
  PermitEmptyPasswords: 'no',
  PermitRootLogin: 'no',
  AuthenticationMethods: 'publickey',
  MaxAuthTries: '3',
  X11Forwarding: 'no',
  AllowAgentForwarding: 'no',
  AllowTcpForwarding: 'no',
} as const;

/** ListenAddress adds up rather than first-wins; Debian's sshd_config sets none, so these are all. */
export const SSHD_LISTEN_ADDRESSES = ['127.0.0.1', '::1'] as const;

export function sshSection() {
  return {
    // cc_set_passwords: no password logins, in sshd_config itself as well.
    ssh_pwauth: false,
    // cc_ssh: never import keys from the provider's metadata (a default DigitalOcean key, an AWS KeyName).
    allow_public_ssh_keys: false,
    disable_root: true,
  };
}

export function sshdDropIn(): WriteFile {
  const lines = [
    '# Claw Cloud: no passwords, no root, no keys of ours, loopback only.',
    ...Object.entries(SSHD_SETTINGS).map(([keyword, value]) => `${keyword} ${value}`),
    ...SSHD_LISTEN_ADDRESSES.map((address) => `ListenAddress ${address}`),
    // Last, a Match block runs to the end of its file. The support account never logs in with a key from its
    // home (say, one planted there during a grant): only by the agent's certificate trust, during a grant.
    `Match User ${SUPPORT_USER}`,
    '  AuthorizedKeysFile none',
  ];
  return { path: SSHD_DROP_IN_PATH, content: `${lines.join('\n')}\n`, permissions: '0644' };
}
