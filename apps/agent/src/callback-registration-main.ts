// Entrypoint on servers Claw Cloud created (the bootstrap's claw-agent.service): main.ts plus the
// registration callback, so the operator pastes nothing. Servers the user adopts by hand run main.ts.
import { createAgent } from './agent.ts';
import { callBack, loadCallbackConfig } from './callback-registration.ts';
import { ConfigError, loadAgentConfig } from './config.ts';
import { createGatewayHealth } from './health.ts';
import { createLogger } from './logger.ts';
import { AGENT_VERSION } from './version.ts';

// sysexits(3): EX_CONFIG; the unit does not restart on it (RestartPreventExitStatus=78).
const EX_CONFIG = 78;

let config;
let callbackConfig;
try {
  config = loadAgentConfig(process.env);
  callbackConfig = loadCallbackConfig(process.env);
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
if (agent.registrationCode !== undefined) {
  await callBack({
    config: callbackConfig,
    agent: { fingerprint: agent.fingerprint, registrationCode: agent.registrationCode },
    agentVersion: AGENT_VERSION,
    gatewayHealth: createGatewayHealth(config.gatewayUrl),
    log: createLogger((line) => process.stdout.write(line)),
    signal: stopping.signal,
  });
}
