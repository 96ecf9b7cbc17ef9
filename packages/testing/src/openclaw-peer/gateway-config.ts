// The hardened openclaw.json for the test peer. Every key is there for a reason verified in
// /work/shared/peers/openclaw/NOTES.md §1.3; the gateway token comes from OPENCLAW_GATEWAY_TOKEN.
export type GatewayConfigInput = {
  gatewayPort: number;
  /**
   * The fake provider the gateway starts with. Without it the gateway has no provider and no default model,
   * like a fresh instance whose owner has not set one up yet.
   */
  llm?: {
    baseUrl: string;
    /** The key OpenClaw sends to the fake LLM as `Authorization: Bearer <key>`. */
    apiKey: string;
  };
};

export function gatewayConfig(input: GatewayConfigInput): object {
  return {
    gateway: {
      // Without mode "local", `gateway run` refuses to start unconfigured.
      mode: 'local',
      port: input.gatewayPort,
      bind: 'loopback',
      auth: { mode: 'token' },
      http: { endpoints: { chatCompletions: { enabled: true } } },
      controlUi: { enabled: false },
    },
    models: {
      mode: 'replace',
      // Stops the fetch of catalog.openclaw.ai.
      catalogRefresh: { enabled: false },
      providers: input.llm && {
        fake: {
          baseUrl: input.llm.baseUrl,
          apiKey: input.llm.apiKey,
          api: 'openai-completions',
          models: [
            {
              id: 'echo-1',
              name: 'Echo',
              reasoning: false,
              input: ['text'],
              cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
              contextWindow: 128000,
              maxTokens: 4096,
            },
          ],
        },
      },
    },
    // A zero heartbeat and no cron: no agent turns the test did not ask for.
    agents: {
      defaults: {
        ...(input.llm && { model: { primary: 'fake/echo-1' } }),
        heartbeat: { every: '0m' },
      },
    },
    cron: { enabled: false },
    update: { checkOnStart: false },
    discovery: { mdns: { mode: 'off' } },
    plugins: { enabled: false },
  };
}
