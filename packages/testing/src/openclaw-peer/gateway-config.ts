// The hardened openclaw.json for the test peer. Every key is there for a reason verified in
// /work/shared/peers/openclaw/NOTES.md §1.3; the gateway token comes from OPENCLAW_GATEWAY_TOKEN.
export type GatewayConfigInput = {
  gatewayPort: number;
  llmBaseUrl: string;
  /** The key OpenClaw sends to the fake LLM as `Authorization: Bearer <key>`. */
  llmApiKey: string;
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
      providers: {
        fake: {
          baseUrl: input.llmBaseUrl,
          apiKey: input.llmApiKey,
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
    agents: { defaults: { model: { primary: 'fake/echo-1' }, heartbeat: { every: '0m' } } },
    cron: { enabled: false },
    update: { checkOnStart: false },
    discovery: { mdns: { mode: 'off' } },
    plugins: { enabled: false },
  };
}
