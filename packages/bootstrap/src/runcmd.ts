// cloud-init `runcmd` (module cc_runcmd): the lines become one /bin/sh script run once, in the final stage,
// after packages are installed and files written. `set -eu` first makes it fail closed: if the firewall cannot
// be enabled, nothing is installed or started, and `cloud-init status` reports the error.
import { FIREWALL_COMMANDS } from './firewall.ts';
import {
  AGENT_UNIT,
  CONFIG_DIR,
  GATEWAY_CONFIG_PATH,
  GATEWAY_TOKEN_PATH,
  GATEWAY_UNIT,
  GATEWAY_USER,
  INSTALL_SCRIPT_PATH,
  SUPPORT_TRUST_DIR,
} from './layout.ts';

export function runcmdSection(): { runcmd: string[] } {
  const gatewayStateDir = GATEWAY_CONFIG_PATH.slice(0, GATEWAY_CONFIG_PATH.lastIndexOf('/'));
  return {
    runcmd: [
      'set -eu',
      ...FIREWALL_COMMANDS,
      INSTALL_SCRIPT_PATH,
      // The gateway token: 256 random bits made here, never sent anywhere (docs/agent.md).
      `umask 077; test -s ${GATEWAY_TOKEN_PATH} || head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=' > ${GATEWAY_TOKEN_PATH}`,
      `chmod 0700 ${CONFIG_DIR}`,
      // write_files creates parent folders as root; the gateway writes its state next to its config.
      `chown ${GATEWAY_USER}:${GATEWAY_USER} ${gatewayStateDir}`,
      // Empty until a grant. The agent's unit lists it in ReadWritePaths=, and systemd does not start a unit
      // whose path is missing; root-owned, not writable by others, as sshd's StrictModes wants. (Its siblings
      // exist already: sshd_config.d holds our drop-in, sudoers.d comes with sudo.)
      `install -d -m 0755 -o root -g root ${SUPPORT_TRUST_DIR}`,
      'systemctl daemon-reload',
      `systemctl enable --now fail2ban unattended-upgrades ${GATEWAY_UNIT} ${AGENT_UNIT}`,
    ],
  };
}
