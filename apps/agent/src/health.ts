// Readiness of the gateway beside the agent, from its unauthenticated probes (NOTES §4): /readyz is the
// readiness gate, /startupz carries the OpenClaw version. Only these two facts are passed on.
export type GatewayHealth = { ready: boolean; version: string | null };

const PROBE_TIMEOUT_MS = 3_000;

async function probe(url: string): Promise<{ status: number; body: unknown } | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    const body: unknown = await res.json().catch(() => undefined);
    return { status: res.status, body };
  } catch {
    return undefined;
  }
}

export function createGatewayHealth(gatewayUrl: string) {
  return async function gatewayHealth(): Promise<GatewayHealth> {
    const [ready, startup] = await Promise.all([
      probe(`${gatewayUrl}/readyz`),
      probe(`${gatewayUrl}/startupz`),
    ]);
    const version = (startup?.body as { version?: unknown } | undefined)?.version;
    return {
      ready: ready?.status === 200,
      // Only a version-shaped string is echoed, so a misbehaving gateway cannot inject text into our answer.
      version: typeof version === 'string' && /^[0-9A-Za-z.+-]{1,40}$/.test(version) ? version : null,
    };
  };
}
