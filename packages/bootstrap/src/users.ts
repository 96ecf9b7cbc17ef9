// cloud-init `users` (module cc_users_groups). The list has no `default` entry on purpose: the image's default
// account (admin, ubuntu, ec2-user) is not created, so no account exists that provider SSH keys could land on.
import { GATEWAY_HOME, GATEWAY_USER } from './layout.ts';

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
    ],
  };
}
