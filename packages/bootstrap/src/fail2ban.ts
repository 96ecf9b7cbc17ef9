// fail2ban's sshd jail, reading the journal: Debian 12 has no /var/log/auth.log without rsyslog, and the
// default `backend = auto` then keeps fail2ban from starting. `.local` overrides the distribution's jail files.
import type { WriteFile } from './write-file.ts';

export function fail2banJail(): WriteFile {
  return {
    path: '/etc/fail2ban/jail.d/claw.local',
    content: '[sshd]\nenabled = true\nbackend = systemd\n',
    permissions: '0644',
  };
}
