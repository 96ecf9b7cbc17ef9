// systemd units for the gateway and the agent (systemd.service(5), systemd.exec(5)). Both restart on
// failure except on exit 78 (EX_CONFIG: a bad configuration, which a restart cannot fix). The gateway token
// reaches each service as a systemd credential (LoadCredential=, systemd >= 247), so the file stays root-only.
import {
  AGENT_ENTRY,
  AGENT_STATE_DIR,
  AGENT_UNIT,
  CALLBACK_CONFIG_PATH,
  GATEWAY_HOME,
  GATEWAY_PORT,
  GATEWAY_TOKEN_PATH,
  GATEWAY_UNIT,
  GATEWAY_USER,
  NODE_BIN,
  OPENCLAW_ENTRY,
  SSHD_DROP_IN_DIR,
  SUDOERS_DIR,
  SUPPORT_TRUST_DIR,
} from './layout.ts';
import type { WriteFile } from './write-file.ts';

const RESTART = ['Restart=on-failure', 'RestartSec=5', 'RestartPreventExitStatus=78'];
const SANDBOX = ['NoNewPrivileges=yes', 'PrivateTmp=yes', 'PrivateDevices=yes', 'ProtectKernelTunables=yes'];

function unit(name: string, lines: { unit: string[]; service: string[] }): WriteFile {
  const content = [
    '[Unit]',
    ...lines.unit,
    '',
    '[Service]',
    ...lines.service,
    ...RESTART,
    ...SANDBOX,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
  return { path: `/etc/systemd/system/${name}`, content, permissions: '0644' };
}

export function gatewayUnit(): WriteFile {
  return unit(GATEWAY_UNIT, {
    unit: [
      'Description=OpenClaw gateway (loopback only)',
      'After=network-online.target',
      'Wants=network-online.target',
    ],
    service: [
      `User=${GATEWAY_USER}`,
      `Group=${GATEWAY_USER}`,
      `WorkingDirectory=${GATEWAY_HOME}`,
      `Environment=HOME=${GATEWAY_HOME} OPENCLAW_NO_AUTO_UPDATE=1 OPENCLAW_DISABLE_BONJOUR=1 OPENCLAW_NO_RESPAWN=1`,
      `LoadCredential=gateway-token:${GATEWAY_TOKEN_PATH}`,
      // "$$" is a literal "$" for systemd; the shell reads the credential and becomes the gateway (exec).
      `ExecStart=/bin/sh -c 'OPENCLAW_GATEWAY_TOKEN="$$(cat "$$CREDENTIALS_DIRECTORY/gateway-token")" exec ${NODE_BIN} ${OPENCLAW_ENTRY} gateway run --port ${GATEWAY_PORT} --bind loopback'`,
      'ProtectSystem=full',
    ],
  });
}

// Support access (docs/support-access.md) makes the agent write sshd's and sudo's drop-ins, run `sshd -t`
// (host keys are root's), signal sshd and kill the support account's processes: root, bounded by the sandbox
// below. Read-only everywhere but these folders, its state and its runtime folder; no home folders (it kills
// the support account's processes, it never reads their files).
const SUPPORT_WRITABLE = [SSHD_DROP_IN_DIR, SUPPORT_TRUST_DIR, SUDOERS_DIR];
// What root keeps. Root needs no capability for root-owned files (the drop-ins, the host keys, its state).
//   CAP_KILL: SIGKILL to the support account's processes (another uid).
//   CAP_CHOWN: the recorder's socket belongs to the support account (only it may connect).
// Gone: CAP_DAC_OVERRIDE/READ_SEARCH (other users' files), CAP_SETUID, CAP_SYS_ADMIN, CAP_NET_*, modules…
const AGENT_CAPABILITIES = ['CAP_KILL', 'CAP_CHOWN'];

export function agentUnit(): WriteFile {
  return unit(AGENT_UNIT, {
    unit: [
      'Description=Claw Cloud agent (HTTPS API on port 3000)',
      `After=network-online.target ${GATEWAY_UNIT}`,
      'Wants=network-online.target',
    ],
    service: [
      'User=root',
      'StateDirectory=claw-agent',
      'StateDirectoryMode=0700',
      // /run/claw-agent, 0755: the support account's recorder reaches its socket there (the socket is 0600).
      'RuntimeDirectory=claw-agent',
      `LoadCredential=gateway-token:${GATEWAY_TOKEN_PATH}`,
      `LoadCredential=callback.json:${CALLBACK_CONFIG_PATH}`,
      `Environment=CLAW_AGENT_STATE_DIR=${AGENT_STATE_DIR}`,
      // %d: the service's credentials folder (systemd >= 248).
      'Environment=CLAW_AGENT_GATEWAY_TOKEN_FILE=%d/gateway-token',
      'Environment=CLAW_AGENT_CALLBACK_FILE=%d/callback.json',
      // Every support path is the agent's default (apps/agent/src/support/support-config.ts).
      'Environment=CLAW_AGENT_SUPPORT=on',
      `ExecStart=${NODE_BIN} ${AGENT_ENTRY}`,
      'ProtectSystem=strict',
      'ProtectHome=yes',
      // StateDirectory and RuntimeDirectory are writable already.
      `ReadWritePaths=${SUPPORT_WRITABLE.join(' ')}`,
      `CapabilityBoundingSet=${AGENT_CAPABILITIES.join(' ')}`,
    ],
  });
}
