export { startOpenClawPeer } from './start-peer.ts';
export type { OpenClawPeer, OpenClawPeerOptions } from './start-peer.ts';
export { startFakeLlm } from './fake-llm.ts';
export type { FakeLlm, FakeLlmOptions, FakeLlmRequest } from './fake-llm.ts';
export { ensureOpenClawInstalled, OPENCLAW_VERSION } from './install.ts';
