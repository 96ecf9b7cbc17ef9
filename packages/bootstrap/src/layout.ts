// Where things live on the instance. One place, so the units, the install script and the docs agree.
export const GATEWAY_USER = 'openclaw';
export const GATEWAY_HOME = `/home/${GATEWAY_USER}`;
// OpenClaw keeps config, databases and workspace under $HOME/.openclaw (peers/openclaw/NOTES.md §1.3).
export const GATEWAY_CONFIG_PATH = `${GATEWAY_HOME}/.openclaw/openclaw.json`;
export const GATEWAY_PORT = 18789;
/** The only port open to the world: the agent's HTTPS API (docs/agent.md). */
export const AGENT_PORT = 3000;

export const INSTALL_ROOT = '/opt/claw';
export const NODE_DIR = `${INSTALL_ROOT}/node`;
export const NODE_BIN = `${NODE_DIR}/bin/node`;
export const NPM_DIR = `${INSTALL_ROOT}/npm`;
export const AGENT_DIR = `${INSTALL_ROOT}/agent`;
export const OPENCLAW_PREFIX = `${INSTALL_ROOT}/openclaw`;
export const OPENCLAW_ENTRY = `${OPENCLAW_PREFIX}/node_modules/openclaw/openclaw.mjs`;
// The agent runs from its unpacked tarball, outside any node_modules: Node refuses to strip types from
// .ts files under node_modules (ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING).
export const AGENT_ENTRY = `${AGENT_DIR}/src/main.ts`;
export const AGENT_STATE_DIR = '/var/lib/claw-agent';

export const CONFIG_DIR = '/etc/claw';
/** Generated on the instance by runcmd; root-only, handed to both services as a systemd credential. */
export const GATEWAY_TOKEN_PATH = `${CONFIG_DIR}/gateway-token`;
/** The only file that carries the one-time registration code. */
export const CALLBACK_CONFIG_PATH = `${CONFIG_DIR}/agent-callback.json`;
export const INSTALL_SCRIPT_PATH = '/usr/local/lib/claw/install.sh';

/** The account support engineers log in as, only while the user grants it (docs/support-access.md). */
export const SUPPORT_USER = 'claw-support';
export const SUPPORT_HOME = `/home/${SUPPORT_USER}`;
// Where the agent writes a grant's files; the defaults of apps/agent/src/support/support-config.ts.
export const SSHD_DROP_IN_DIR = '/etc/ssh/sshd_config.d';
export const SUPPORT_TRUST_DIR = '/etc/ssh/claw-support';
export const SUDOERS_DIR = '/etc/sudoers.d';

export const GATEWAY_UNIT = 'claw-gateway.service';
export const AGENT_UNIT = 'claw-agent.service';
