// OpenClaw's openclaw.json: the gateway listens on loopback only and demands the token, which comes from the
// environment (OPENCLAW_GATEWAY_TOKEN, units.ts) so it is never written into a file the gateway rewrites.
// Keys as verified in peers/openclaw/NOTES.md §1.3. The gateway edits this file itself (config.patch), so
// the openclaw user owns it.
import { GATEWAY_CONFIG_PATH, GATEWAY_PORT, GATEWAY_USER } from './layout.ts';
import type { WriteFile } from './write-file.ts';

export function gatewayConfig(): WriteFile {
  const config = {
    gateway: {
      // Without mode "local", `gateway run` refuses to start unconfigured.
      mode: 'local',
      port: GATEWAY_PORT,
      bind: 'loopback',
      auth: { mode: 'token' },
      // The agent's SSE pipe (docs/agent.md).
      http: { endpoints: { chatCompletions: { enabled: true } } },
      controlUi: { enabled: false },
    },
    // The version is pinned by the bootstrap; an in-place self-update would bypass the pin.
    update: { checkOnStart: false },
    // No LAN multicast announcements from a cloud server.
    discovery: { mdns: { mode: 'off' } },
  };
  return {
    path: GATEWAY_CONFIG_PATH,
    content: `${JSON.stringify(config, null, 2)}\n`,
    permissions: '0600',
    owner: `${GATEWAY_USER}:${GATEWAY_USER}`,
    defer: true,
  };
}
