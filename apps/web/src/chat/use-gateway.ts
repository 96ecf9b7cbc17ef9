// One live connection to an instance's OpenClaw gateway, through our proxy: a fresh single-use ticket, then a
// WebSocket on our own origin (docs/pipe.md). Reconnects with backoff, and a new ticket, where the close code
// says so; an ended session goes to Log in.
import { useCallback, useEffect, useRef, useState } from 'react';
import {
  createGatewayClient,
  type GatewayClient,
  type HelloOk,
  type OperatorScope,
  type SocketLike,
} from '@claw/openclaw';
import { asApiError } from '../api.ts';
import { useSession } from '../session.tsx';
import { adviceFor, backoffMs, MAX_RECONNECT_ATTEMPTS, type CloseAdvice } from './close-codes.ts';

export type GatewayState =
  | { phase: 'connecting'; notice: CloseAdvice | null }
  | { phase: 'open'; client: GatewayClient; hello: HelloOk }
  /** A reconnect is scheduled in `seconds`. */
  | { phase: 'waiting'; notice: CloseAdvice; seconds: number }
  /** Nothing more happens until `reconnect()`. */
  | { phase: 'closed'; notice: CloseAdvice };

export function gatewayUrl(instanceId: string, ticket: string): string {
  const origin = window.location.origin.replace(/^http/, 'ws');
  return `${origin}/api/instances/${encodeURIComponent(instanceId)}/gateway?ticket=${encodeURIComponent(ticket)}`;
}

export function useGateway(
  instanceId: string,
  { scopes, onUnreachable }: { scopes?: readonly OperatorScope[]; onUnreachable?: () => void } = {},
): { state: GatewayState; reconnect: () => void } {
  const { api, signedOut } = useSession();
  const [state, setState] = useState<GatewayState>({ phase: 'connecting', notice: null });
  const [generation, setGeneration] = useState(0);
  const reconnect = useCallback(() => setGeneration((n) => n + 1), []);
  // Notifications only: a new function identity must not reconnect.
  const callbacks = useRef({ signedOut, onUnreachable });
  useEffect(() => {
    callbacks.current = { signedOut, onUnreachable };
  });

  useEffect(() => {
    let stopped = false;
    let socket: WebSocket | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;

    function retry(attempt: number, notice: CloseAdvice) {
      if (attempt >= MAX_RECONNECT_ATTEMPTS) {
        setState({ phase: 'closed', notice: { ...notice, action: 'stop' } });
        return;
      }
      const delay = backoffMs(attempt, { slow: notice.slow ?? false });
      setState({ phase: 'waiting', notice, seconds: Math.ceil(delay / 1000) });
      timer = setTimeout(() => void open(attempt + 1, notice), delay);
    }

    async function open(attempt: number, notice: CloseAdvice | null) {
      setState({ phase: 'connecting', notice });
      let ticket: string;
      try {
        ticket = (await api.chatTicket(instanceId)).ticket;
      } catch (caught) {
        if (stopped) return;
        const error = asApiError(caught);
        // The session provider has already sent the person to Log in.
        if (error.code === 'auth.required') return;
        if (error.status === 404)
          setState({ phase: 'closed', notice: { action: 'stop', message: error.message } });
        else retry(attempt, { action: 'reconnect', message: error.message });
        return;
      }
      if (stopped) return;
      const current = new WebSocket(gatewayUrl(instanceId, ticket));
      socket = current;
      // SocketLike's listeners take `never`, which the DOM's typed overloads cannot be assigned to; the browser
      // WebSocket is exactly the API it describes.
      const client = createGatewayClient(current as unknown as SocketLike, scopes ? { scopes } : {});
      client.hello.then(
        (hello) => {
          if (stopped) return;
          attempt = 0;
          setState({ phase: 'open', client, hello });
        },
        (error: Error & { code?: string }) => {
          // A refused handshake (not a closed socket, which the close listener handles) will not fix itself.
          if (stopped || error.code === 'CLOSED') return;
          setState({
            phase: 'closed',
            notice: { action: 'stop', message: `Your assistant refused the connection: ${error.message}` },
          });
          current.close(1000);
        },
      );
      client.onClose(({ code }) => {
        if (stopped || socket !== current) return;
        socket = null;
        const advice = adviceFor(code);
        if (advice.checkHealth) callbacks.current.onUnreachable?.();
        // Back to this instance after logging in again.
        if (advice.action === 'sign-in') {
          callbacks.current.signedOut(advice.message, `/instances/${encodeURIComponent(instanceId)}`);
        } else if (advice.action === 'reconnect') retry(attempt, advice);
        else setState({ phase: 'closed', notice: advice });
      });
    }

    void open(0, null);
    return () => {
      stopped = true;
      clearTimeout(timer);
      socket?.close(1000);
    };
  }, [api, instanceId, scopes, generation]);

  return { state, reconnect };
}
