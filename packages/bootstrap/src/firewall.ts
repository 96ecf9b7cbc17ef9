// ufw: everything inbound is refused except the agent's HTTPS port. Outbound stays open (package updates,
// the model provider the user chooses, the registration callback).
import { AGENT_PORT } from './layout.ts';

export const FIREWALL_COMMANDS: readonly string[] = [
  'ufw default deny incoming',
  'ufw default allow outgoing',
  `ufw allow ${AGENT_PORT}/tcp comment claw-agent`,
  // --force: enabling asks for confirmation on a terminal, and there is none.
  'ufw --force enable',
];
