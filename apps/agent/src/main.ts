// Entrypoint on the VPS: `node apps/agent/src/main.ts` (Node >= 24). Reads the environment once, starts the
// agent, prints the adoption instructions while unregistered, and stops cleanly on SIGTERM/SIGINT.
import { createAgent } from './agent.ts';
import { ConfigError, loadAgentConfig } from './config.ts';

// sysexits(3): EX_CONFIG, so a service manager can tell a bad environment from a crash.
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
try {
  config = loadAgentConfig(process.env);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(EX_CONFIG);
}
const agent = await createAgent(config);
if (agent.registrationCode !== undefined) {
  process.stdout.write(
    instructions(Number(new URL(agent.url).port), agent.fingerprint, agent.registrationCode),
  );
}
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    agent.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
