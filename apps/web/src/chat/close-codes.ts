// What the dashboard does when the chat socket closes, per close code (docs/pipe.md, "Close codes the browser
// sees"). Kept apart from React so the table can be tested on its own.

export type CloseAdvice = {
  /**
   * reconnect: on its own, with backoff and a new ticket. sign-in: the session ended, go to Log in.
   * on-use: reconnect when the person next uses the chat. stop: show the problem and offer a Reconnect button.
   */
  action: 'reconnect' | 'sign-in' | 'on-use' | 'stop';
  message: string;
  /** 1014: the instance could not be reached; the page shows its health. */
  checkHealth?: boolean;
  /** Waits longer before the first retry (1008, the message rate). */
  slow?: boolean;
};

export function adviceFor(code: number): CloseAdvice {
  switch (code) {
    case 1000:
      return { action: 'stop', message: 'The connection to your assistant was closed.' };
    // RFC 6455 §7.4.1: 1002 = protocol error; the proxy checks the framing.
    case 1002:
      return { action: 'stop', message: 'The connection broke on a malformed message.' };
    case 1006:
      return { action: 'reconnect', message: 'The connection to your assistant was lost.' };
    case 1008:
      return { action: 'reconnect', message: 'Too many messages in a short time.', slow: true };
    // RFC 6455 §7.4.1: 1009 = message too big.
    case 1009:
      return { action: 'stop', message: 'That message was too big to send (the limit is 1 MiB).' };
    case 1011:
      return {
        action: 'reconnect',
        message: 'Your assistant stopped unexpectedly (its agent or gateway failed).',
      };
    case 1012:
      return { action: 'reconnect', message: 'Your assistant is restarting.' };
    case 1013:
      return { action: 'reconnect', message: 'The connection fell behind and was reset.' };
    case 1014:
      return {
        action: 'reconnect',
        message: 'Your server could not be reached, or it presented an unexpected certificate.',
        checkHealth: true,
      };
    case 4401:
      return { action: 'sign-in', message: 'Your session has ended. Please log in again.' };
    case 4408:
      return {
        action: 'on-use',
        message: 'Disconnected after a long time without use. It reconnects when you next use the chat.',
      };
    default:
      return { action: 'reconnect', message: `The connection closed unexpectedly (code ${code}).` };
  }
}

/** Reconnect attempts before giving up and offering a button instead. */
export const MAX_RECONNECT_ATTEMPTS = 6;

/** Exponential backoff: 1 s, 2 s, 4 s … capped at 30 s, with up to 20% jitter so tabs do not retry in step. */
export function backoffMs(attempt: number, { slow = false, random = Math.random } = {}): number {
  const base = Math.min(30_000, (slow ? 5_000 : 1_000) * 2 ** attempt);
  return Math.round(base * (1 + 0.2 * random()));
}
