// Chat with the assistant on the user's own server, over the pipe. Nothing is kept here beyond the page: the
// history is read live from the instance (chat.history) each time the chat opens.
import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import {
  GatewayError,
  readModelStatus,
  textOf,
  type ChatEvent,
  type GatewayClient,
  type HelloOk,
  type HistoryMessage,
  type ModelStatus,
} from '@claw/openclaw';
import { href } from '../router.ts';
import { ConnectionBanner } from './connection-banner.tsx';
import { AssistantMarkdown } from './markdown.tsx';
import { newRunId } from './run-id.ts';
import { useGateway } from './use-gateway.ts';

const SESSION_KEY = 'main';
const HISTORY_LIMIT = 100;

type Turn = {
  key: string;
  role: 'user' | 'assistant';
  text: string;
  status: 'done' | 'streaming' | 'error' | 'aborted';
  error?: string;
  /** The provider refused the key (errorDetail.failoverReason "auth"). */
  keyRefused?: boolean;
};

export function ChatPanel({ instanceId, onUnreachable }: { instanceId: string; onUnreachable: () => void }) {
  const { state, reconnect } = useGateway(instanceId, { onUnreachable });
  // The last open connection stays on screen while a new one is made, so the conversation does not vanish.
  const [lastOpen, setLastOpen] = useState<{ client: GatewayClient; hello: HelloOk; n: number } | null>(null);
  if (state.phase === 'open' && lastOpen?.client !== state.client) {
    setLastOpen({ client: state.client, hello: state.hello, n: (lastOpen?.n ?? 0) + 1 });
  }

  return (
    <div className="chat">
      <ConnectionBanner state={state} reconnect={reconnect} />
      {lastOpen && (
        <Conversation
          key={lastOpen.n}
          client={lastOpen.client}
          hello={lastOpen.hello}
          instanceId={instanceId}
          connected={state.phase === 'open'}
          onWake={() => state.phase === 'closed' && state.notice.action === 'on-use' && reconnect()}
        />
      )}
      <p className="chat-privacy">
        Messages go straight to your server. Claw Cloud does not store or log them; the history is read from
        your server.
      </p>
    </div>
  );
}

function historyTurns(messages: HistoryMessage[]): Turn[] {
  return messages
    .filter((message) => message.role === 'user' || message.role === 'assistant')
    .map((message, index) => ({
      key: `history-${index}`,
      role: message.role as 'user' | 'assistant',
      text: textOf(message.content),
      status: 'done' as const,
    }))
    .filter((turn) => turn.text.trim() !== '');
}

/** One turn's state after a chat event of its run. */
function applyEvent(turn: Turn, event: ChatEvent): Turn {
  const whole = event.message ? textOf(event.message.content) : undefined;
  switch (event.state) {
    case 'delta':
      return {
        ...turn,
        text: whole ?? (event.replace ? (event.deltaText ?? '') : turn.text + (event.deltaText ?? '')),
      };
    case 'final':
      return { ...turn, text: whole || turn.text, status: 'done' };
    case 'aborted':
      return { ...turn, status: 'aborted' };
    case 'error':
      // A second error event ("Agent failed before reply") follows the first: keep the first reason.
      if (turn.status === 'error') return turn;
      return {
        ...turn,
        status: 'error',
        error: event.errorMessage ?? 'The assistant could not answer.',
        keyRefused: event.errorDetail?.failoverReason === 'auth',
      };
    default:
      return turn;
  }
}

function Conversation({
  client,
  hello,
  instanceId,
  connected,
  onWake,
}: {
  client: GatewayClient;
  hello: HelloOk;
  instanceId: string;
  connected: boolean;
  onWake: () => void;
}) {
  const [model, setModel] = useState<ModelStatus | 'checking' | { failed: string }>('checking');
  const [turns, setTurns] = useState<Turn[] | null>(null);
  const [historyError, setHistoryError] = useState<string | null>(null);
  const [running, setRunning] = useState<string | null>(null);
  const [sendError, setSendError] = useState<string | null>(null);
  const bottom = useRef<HTMLDivElement>(null);

  useEffect(() => {
    let active = true;
    // The handshake already says when there is no default model; that costs no request.
    const known = hello.snapshot?.sessionDefaults?.modelConfigured === false;
    (known ? Promise.resolve<ModelStatus>({ state: 'no-model' }) : readModelStatus(client)).then(
      (status) => active && setModel(status),
      (error: Error) => active && setModel({ failed: error.message }),
    );
    client.history(SESSION_KEY, HISTORY_LIMIT).then(
      (messages) => active && setTurns(historyTurns(messages)),
      (error: Error) => {
        if (!active) return;
        setHistoryError(`The history could not be read from your server: ${error.message}`);
        setTurns([]);
      },
    );
    const stop = client.onChat(SESSION_KEY, (event) => {
      const key = `run-${event.runId}`;
      setTurns((current) => {
        const list = current ?? [];
        const index = list.findIndex((turn) => turn.key === key);
        // A run started elsewhere (another tab) shows here too.
        if (index === -1) {
          if (event.state === 'status') return list;
          return [...list, applyEvent({ key, role: 'assistant', text: '', status: 'streaming' }, event)];
        }
        return list.map((turn, i) => (i === index ? applyEvent(turn, event) : turn));
      });
      if (event.state === 'final' || event.state === 'error' || event.state === 'aborted') {
        setRunning((current) => (current === event.runId ? null : current));
      }
    });
    return () => {
      active = false;
      stop();
    };
  }, [client, hello]);

  useEffect(() => {
    bottom.current?.scrollIntoView?.({ block: 'nearest' });
  }, [turns]);

  async function send(text: string): Promise<boolean> {
    const runId = newRunId();
    setSendError(null);
    setTurns((current) => [
      ...(current ?? []),
      { key: `user-${runId}`, role: 'user', text, status: 'done' },
      { key: `run-${runId}`, role: 'assistant', text: '', status: 'streaming' },
    ]);
    setRunning(runId);
    try {
      await client.send(SESSION_KEY, text, runId);
      return true;
    } catch (error) {
      const message = error instanceof GatewayError ? error.message : 'The message could not be sent.';
      setTurns((current) => (current ?? []).filter((turn) => !turn.key.endsWith(runId)));
      setRunning(null);
      setSendError(`Not sent: ${message}`);
      return false;
    }
  }

  async function stopRun() {
    if (!running) return;
    try {
      await client.abort(SESSION_KEY, running);
    } catch (error) {
      setSendError(`Could not stop: ${error instanceof Error ? error.message : 'unknown error'}`);
    }
  }

  const settings = href(`/instances/${encodeURIComponent(instanceId)}?tab=settings`);
  return (
    <>
      {historyError && <p className="notice notice-warning">{historyError}</p>}
      {turns === null ? (
        <p className="loading" role="status">
          Loading the conversation from your server…
        </p>
      ) : (
        <Transcript turns={turns} settings={settings} />
      )}
      <div ref={bottom} />
      {model === 'checking' && (
        <p className="loading" role="status">
          Checking your assistant’s model…
        </p>
      )}
      {typeof model === 'object' && 'failed' in model && (
        <p className="notice notice-warning" role="alert">
          Could not read the model settings: {model.failed}
        </p>
      )}
      {typeof model === 'object' && 'state' in model && model.state !== 'configured' && (
        <div className="setup-first" role="region" aria-labelledby="setup-first-title">
          <h3 id="setup-first-title">Set up your model first</h3>
          <p>
            {model.state === 'no-model'
              ? 'Your assistant has no AI model yet.'
              : `Your assistant’s model (${model.model ?? 'unknown'}) has no API key yet.`}{' '}
            Choose a provider and add your API key; it goes straight to your server.
          </p>
          <a className="button primary" href={settings}>
            Open Assistant settings
          </a>
        </div>
      )}
      {typeof model === 'object' && 'state' in model && model.state === 'configured' && (
        <Composer
          disabled={!connected}
          running={running !== null}
          onSend={send}
          onStop={stopRun}
          onWake={onWake}
          error={sendError}
        />
      )}
    </>
  );
}

function Transcript({ turns, settings }: { turns: Turn[]; settings: string }) {
  if (turns.length === 0) {
    return <p className="chat-empty">No messages yet. Say hello to your assistant.</p>;
  }
  return (
    <ol className="transcript" role="log" aria-label="Conversation">
      {turns.map((turn) => (
        <li key={turn.key} className={`turn turn-${turn.role}`}>
          <span className="visually-hidden">{turn.role === 'user' ? 'You:' : 'Assistant:'}</span>
          {turn.role === 'user' ? (
            <p className="turn-text">{turn.text}</p>
          ) : turn.text ? (
            <AssistantMarkdown text={turn.text} />
          ) : turn.status === 'streaming' ? (
            <p className="turn-thinking">Thinking…</p>
          ) : null}
          {turn.status === 'aborted' && <p className="turn-note">Stopped.</p>}
          {turn.status === 'error' && (
            <p className="turn-error">
              {turn.error}{' '}
              {turn.keyRefused && (
                <>
                  The provider refused the API key: <a href={settings}>test the connection</a>.
                </>
              )}
            </p>
          )}
        </li>
      ))}
    </ol>
  );
}

function Composer({
  disabled,
  running,
  onSend,
  onStop,
  onWake,
  error,
}: {
  disabled: boolean;
  running: boolean;
  onSend: (text: string) => Promise<boolean>;
  onStop: () => void;
  onWake: () => void;
  error: string | null;
}) {
  const [text, setText] = useState('');

  async function submit(event?: FormEvent) {
    event?.preventDefault();
    const message = text.trim();
    if (!message || disabled || running) return;
    setText('');
    if (!(await onSend(message))) setText(message);
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    // Enter sends, Shift+Enter starts a new line, as in most chat apps.
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) void submit(event);
  }

  return (
    <form className="composer" onSubmit={submit}>
      <label htmlFor="chat-message" className="visually-hidden">
        Message
      </label>
      <textarea
        id="chat-message"
        name="message"
        rows={2}
        value={text}
        onChange={(event) => setText(event.target.value)}
        onKeyDown={onKeyDown}
        onFocus={onWake}
        placeholder="Message your assistant"
        aria-describedby="chat-error"
      />
      <div className="composer-actions">
        {running ? (
          <button type="button" className="button secondary" onClick={onStop}>
            Stop
          </button>
        ) : (
          <button type="submit" className="button primary" disabled={disabled || !text.trim()}>
            Send
          </button>
        )}
      </div>
      <p id="chat-error" className="field-error" role="alert">
        {error}
      </p>
    </form>
  );
}
