// SSH stays installed but closed: the firewall blocks port 22, no key or certificate authority of ours is
// trusted, and password and root logins are off. A later feature grants time-limited support access with
// OpenSSH certificates, only when the user asks for it.
import type { WriteFile } from './write-file.ts';

// sshd uses the first value it reads for a keyword, and Debian/Ubuntu include sshd_config.d/*.conf at the top
// of sshd_config in name order, so "00-" wins over the image's own drop-ins (e.g. Ubuntu's 50-cloud-init.conf).
export const SSHD_DROP_IN_PATH = '/etc/ssh/sshd_config.d/00-claw-hardening.conf';

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
  const lines = Object.entries(SSHD_SETTINGS).map(([keyword, value]) => `${keyword} ${value}`);
  return {
    path: SSHD_DROP_IN_PATH,
    content: `# Claw Cloud: no passwords, no root, no keys of ours.\n${lines.join('\n')}\n`,
    permissions: '0644',
  };
}
