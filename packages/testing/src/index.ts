export { createTestDatabase, dumpDatabase } from './database.ts';
export { createHttpClient, type HttpClient } from './http-client.ts';
export {
  callBackAsNewServer,
  registrationCodeIn,
  startAgentProcess,
  type AgentProcess,
} from './agent-process.ts';
export { startFloodGateway, type FloodGateway } from './flood-gateway.ts';
