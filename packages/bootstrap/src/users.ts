// cloud-init `users` (module cc_users_groups). The list has no `default` entry on purpose: the image's default
// account (admin, ubuntu, ec2-user) is not created, so no account exists that provider SSH keys could land on.
import { GATEWAY_HOME, GATEWAY_USER, SUPPORT_HOME, SUPPORT_USER } from './layout.ts';

export function usersSection() {
  return {
    users: [
      {
        name: GATEWAY_USER,
        gecos: 'OpenClaw gateway',
        homedir: GATEWAY_HOME,
        // A service account: no password, no login shell, no sudo.
        shell: '/usr/sbin/nologin',
        lock_passwd: true,
      },
      {
        name: SUPPORT_USER,
        gecos: 'Claw Cloud support',
        homedir: SUPPORT_HOME,
        // sshd runs the agent's ForceCommand (the recorder) through this shell: dash reads no rc file for -c.
        // Locked password: pubkey logins still work because Debian's sshd uses PAM (UsePAM yes). No key, no
        // sudo: the agent trusts a certificate and, for an administrator grant, adds sudo only during a grant.
        // Not `system: true`: cloud-init then creates no home folder, and sshd starts sessions in it.
        shell: '/bin/sh',
        lock_passwd: true,
      },
    ],
  };
}
