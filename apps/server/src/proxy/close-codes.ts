/**
 * Close codes the browser sees, so the dashboard can tell "sign in again" from "retry" from "too big".
 * RFC 6455 §7.4.1 and the IANA registry for 1000-1015; 4000-4999 are ours (§7.4.2: private use).
 */
export const closeCodes = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002, // a malformed frame (RFC 6455 §7.4.1)
  noStatus: 1005, // a close frame without a status code: reported, never sent
  abnormal: 1006, // the connection dropped without a close frame: reported, never sent
  policy: 1008, // message rate exceeded
  tooBig: 1009,
  upstreamError: 1011, // the instance's gateway failed mid-stream
  serviceRestart: 1012,
  tryAgainLater: 1013, // a side read too slowly and the buffer passed its hard bound
  badGateway: 1014, // the instance could not be reached or presented the wrong certificate
  sessionEnded: 4401, // logout, expiry, password change or account deletion
  idle: 4408,
} as const;

// RFC 6455 §7.4.1: 1005, 1006 and 1015 are only reported, never sent.
export function isSendable(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

/** What the browser is told when the instance side closed with `code`. */
export function browserCodeForUpstreamClose(code: number): number {
  if (code === closeCodes.noStatus) return closeCodes.normal;
  if (code === closeCodes.abnormal) return closeCodes.upstreamError;
  return isSendable(code) ? code : closeCodes.upstreamError;
}
