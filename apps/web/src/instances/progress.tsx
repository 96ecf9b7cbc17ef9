// Live progress of a provisioned instance: the server's event stream of its status, shown as the steps of
// the work under way, with the reason when it failed.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { InstanceAction, Progress } from '../api.ts';
import { settledStatuses, statusExplanation, statusLabel, stepsFor } from './lifecycle.ts';

export type ProgressState = {
  status: string;
  failureReason: string | null;
  /** Every status seen on this page, oldest first (the first is the one the page loaded with). */
  trail: string[];
  /** An action the server accepted whose work has not shown up in the status yet. */
  pending: InstanceAction | null;
  /** The stream was refused (signed out, instance gone): the status shown may be stale. */
  lost: boolean;
};

// After an action is accepted, its job starts within a few seconds; until the status moves, the settled
// status keeps being reported, so we ask again every second for this long before believing it.
const AWAIT_TRIES = 20;
const AWAIT_RETRY_MS = 1000;

function parseProgress(data: string): Progress | null {
  try {
    const value: unknown = JSON.parse(data);
    if (typeof value !== 'object' || value === null || !('status' in value)) return null;
    const { status, failureReason } = value as { status: unknown; failureReason?: unknown };
    if (typeof status !== 'string') return null;
    return { status, failureReason: typeof failureReason === 'string' ? failureReason : null };
  } catch {
    return null;
  }
}

/** Follows `url` (an EventSource of `status` events) until the instance settles; `expect` after an action. */
export function useProgress(url: string, initialStatus: string) {
  const [state, setState] = useState<ProgressState>({
    status: initialStatus,
    failureReason: null,
    trail: [initialStatus],
    pending: null,
    lost: false,
  });
  const [round, setRound] = useState(0);
  const awaiting = useRef<{ from: string; tries: number } | null>(null);

  useEffect(() => {
    const source = new EventSource(url);
    let retry: ReturnType<typeof setTimeout> | undefined;
    source.addEventListener('status', (event: MessageEvent<string>) => {
      const next = parseProgress(event.data);
      if (!next) return;
      const wait = awaiting.current;
      const unchanged = wait !== null && next.status === wait.from && settledStatuses.has(next.status);
      if (unchanged && wait.tries < AWAIT_TRIES) {
        wait.tries += 1;
        source.close();
        retry = setTimeout(() => setRound((n) => n + 1), AWAIT_RETRY_MS);
        return;
      }
      awaiting.current = null;
      setState((current) => ({
        ...next,
        trail: current.trail.at(-1) === next.status ? current.trail : [...current.trail, next.status],
        pending: null,
        lost: false,
      }));
      // The server ends the stream at a settled status; closing first keeps EventSource from reconnecting.
      if (settledStatuses.has(next.status)) source.close();
    });
    source.addEventListener('error', () => {
      // CONNECTING means the browser retries by itself; CLOSED means the server refused the stream.
      if (source.readyState === EventSource.CLOSED) setState((current) => ({ ...current, lost: true }));
    });
    return () => {
      source.close();
      clearTimeout(retry);
    };
  }, [url, round]);

  const { status } = state;
  const expect = useCallback(
    (action: InstanceAction) => {
      awaiting.current = { from: status, tries: 0 };
      setState((current) => ({ ...current, pending: action }));
      setRound((n) => n + 1);
    },
    [status],
  );

  return { ...state, expect };
}

const stepNotes = { done: 'done', current: 'current step', failed: 'failed', todo: 'to do' } as const;

/** The steps of the work under way, the current one highlighted, and what is happening in words. */
export function ProgressSteps({ progress }: { progress: ProgressState }) {
  const { status, failureReason, trail, pending } = progress;
  const shown = stepsFor(trail);
  const explanation = pending ? `${actionNote[pending]} requested…` : statusExplanation(status);
  return (
    <div className="progress">
      {shown && (
        <ol className="progress-steps" aria-label="Progress">
          {shown.steps.map((step) => (
            <li
              key={step.status}
              className={`progress-step progress-${step.state}`}
              aria-current={step.current ? 'step' : undefined}
            >
              <span className="progress-marker" aria-hidden="true" />
              <span className="progress-label">{statusLabel(step.status)}</span>
              <span className="visually-hidden"> ({stepNotes[step.state]})</span>
            </li>
          ))}
        </ol>
      )}
      <p className="progress-now" role="status">
        {status !== 'failed' && explanation}
      </p>
      {status === 'failed' && (
        <div className="notice notice-error" role="alert">
          <p className="notice-title">This did not work out.</p>
          <p>{failureReason ?? 'The server gave no reason.'}</p>
        </div>
      )}
      {progress.lost && (
        <p className="notice notice-warning" role="alert">
          Live progress stopped. Reload the page to see the latest status.
        </p>
      )}
    </div>
  );
}

const actionNote: Record<InstanceAction, string> = {
  stop: 'Stop',
  start: 'Start',
  reboot: 'Reboot',
  destroy: 'Destroy',
};
