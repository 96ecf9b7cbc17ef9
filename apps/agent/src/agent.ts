// Wires the agent together: state folder, certificate, credential, registration, pipes, HTTPS server.
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import { loadOrCreateCertificate } from './certificate.ts';
import type { AgentConfig } from './config.ts';
import { createCredentialStore } from './credential-store.ts';
import { createGatewayHealth } from './health.ts';
import { createLogger } from './logger.ts';
import { createRegistration } from './registration.ts';
import { createAgentServer } from './server.ts';
import { createSsePipe } from './sse-pipe.ts';
import { createSupportRoutes } from './support/support-routes.ts';
import { createSupport } from './support/support-service.ts';
import { AGENT_VERSION } from './version.ts';
import { createWsPipe } from './ws-pipe.ts';

export type Agent = {
  /** https://<listening address>:<port>; a wildcard address is shown as 127.0.0.1. */
  url: string;
  fingerprint: string;
  /** Present only while the agent is not registered: the one-time code for the dashboard. */
  registrationCode?: string;
  close(): Promise<void>;
};

export type AgentDeps = {
  /** Where JSON log lines go (default: stdout). */
  writeLog?: (line: string) => void;
  now?: () => number;
};

export async function createAgent(config: AgentConfig, deps: AgentDeps = {}): Promise<Agent> {
  const now = deps.now ?? Date.now;
  const log = createLogger(deps.writeLog ?? ((line) => process.stdout.write(line)), now);
  fs.mkdirSync(config.stateDir, { recursive: true, mode: 0o700 });
  const certificate = await loadOrCreateCertificate(config.stateDir, new Date(now()));
  const store = createCredentialStore(config.stateDir);
  const registration = createRegistration({
    stateDir: config.stateDir,
    store,
    now,
    ttlMs: config.registrationTtlMs,
    maxFailures: config.maxRegistrationFailures,
  });
  const gateway = { gatewayUrl: config.gatewayUrl, gatewayToken: config.gatewayToken, log, now };
  const wsPipe = createWsPipe({
    ...gateway,
    maxPayloadBytes: config.maxPayloadBytes,
    pingIntervalMs: config.pingIntervalMs,
  });
  const support = config.support
    ? await createSupport({ config: config.support, stateDir: config.stateDir, log, now })
    : undefined;
  const server = createAgentServer({
    certificate,
    store,
    registration,
    gatewayHealth: createGatewayHealth(config.gatewayUrl),
    agentVersion: AGENT_VERSION,
    wsPipe,
    ssePipe: createSsePipe({ ...gateway, maxPayloadBytes: config.maxPayloadBytes }),
    ...(support ? { support: createSupportRoutes(support), supportTunnel: support.acceptTunnel } : {}),
    log,
    now,
  });
  const registrationCode = registration.issueCode();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host =
    address === '0.0.0.0' || address === '::'
      ? '127.0.0.1'
      : address.includes(':')
        ? `[${address}]`
        : address;
  log({ event: 'agent.started', port, fingerprint: certificate.fingerprint });

  return {
    url: `https://${host}:${port}`,
    fingerprint: certificate.fingerprint,
    ...(registrationCode === undefined ? {} : { registrationCode }),
    close: async () => {
      await new Promise<void>((resolve) => {
        wsPipe.close();
        support?.endTunnels();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await support?.close();
      log({ event: 'agent.stopped' });
    },
  };
}
