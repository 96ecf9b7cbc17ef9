export { createAgent } from './agent.ts';
export type { Agent, AgentDeps } from './agent.ts';
export { ConfigError, loadAgentConfig } from './config.ts';
export type { AgentConfig } from './config.ts';
