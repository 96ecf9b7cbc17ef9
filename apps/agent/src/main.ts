// Entrypoint on the VPS: `node apps/agent/src/main.ts` (Node >= 24). Reads the environment once, starts the
// agent and, while it is unregistered, either calls back to the control plane (servers Claw Cloud created:
// CLAW_AGENT_CALLBACK_FILE is set by the bootstrap) or prints the adoption details for its operator
// (servers the user adopts by hand). Stops cleanly on SIGTERM/SIGINT.
import { createAgent } from './agent.ts';
import { callBack, loadCallbackConfig } from './callback-registration.ts';
import { ConfigError, loadAgentConfig } from './config.ts';
import { createGatewayHealth } from './health.ts';
import { createLogger } from './logger.ts';
import { AGENT_VERSION } from './version.ts';

// sysexits(3): EX_CONFIG, so a service manager can tell a bad environment from a crash (the bootstrap's unit
// does not restart on it: RestartPreventExitStatus=78).
const EX_CONFIG = 78;

function instructions(port: number, fingerprint: string, code: string): string {
  return [
    '',
    'Claw Cloud agent is not registered yet. In the dashboard choose "Adopt an existing server" and enter:',
    `  URL:         https://<this server's public address>:${port}`,
    `  Fingerprint: ${fingerprint}`,
    `  Code:        ${code}`,
    'The code works once and expires in 1 hour; restart the agent for a new one.',
    '',
  ].join('\n');
}

let config;
let callbackConfig;
try {
  config = loadAgentConfig(process.env);
  callbackConfig = process.env.CLAW_AGENT_CALLBACK_FILE ? loadCallbackConfig(process.env) : undefined;
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(EX_CONFIG);
}
const agent = await createAgent(config);
const stopping = new AbortController();
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    stopping.abort();
    agent.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
if (agent.registrationCode !== undefined && callbackConfig) {
  await callBack({
    config: callbackConfig,
    agent: { fingerprint: agent.fingerprint, registrationCode: agent.registrationCode },
    agentVersion: AGENT_VERSION,
    gatewayHealth: createGatewayHealth(config.gatewayUrl),
    log: createLogger((line) => process.stdout.write(line)),
    signal: stopping.signal,
  });
} else if (agent.registrationCode !== undefined) {
  process.stdout.write(
    instructions(Number(new URL(agent.url).port), agent.fingerprint, agent.registrationCode),
  );
}
