// The one frame the agent rewrites. OpenClaw's first client frame must be `{type:"req",method:"connect"}`
// (NOTES §3.1); the agent puts the gateway token into `params.auth`, replacing whatever the client sent, so
// the token never has to leave the VPS. Every later frame passes through untouched.
type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The connect frame with the gateway token injected, or undefined when `data` is not a connect request. */
export function withGatewayToken(data: Buffer, isBinary: boolean, token: string): string | undefined {
  // The protocol is JSON text frames only (NOTES §3).
  if (isBinary) return undefined;
  let frame: unknown;
  try {
    frame = JSON.parse(data.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isObject(frame) || frame.type !== 'req' || frame.method !== 'connect' || !isObject(frame.params)) {
    return undefined;
  }
  return JSON.stringify({ ...frame, params: { ...frame.params, auth: { token } } });
}
