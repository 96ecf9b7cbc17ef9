// Adding or deleting a cloud connection, or opening support access, needs a password proven recently in this session (step-up). When the
// server says the proof is stale, ask for the password in a dialog, prove it, and run the action again, so the
// person never has to redo what they were doing.
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { ApiError } from '../api.ts';
import { useSession } from '../session.tsx';
import { FormError, SubmitButton, formText, useSubmit } from './form.tsx';
import { CurrentPasswordField } from './current-password-field.tsx';

type Waiting = { resolve: () => void; reject: (error: Error) => void };

export function useStepUp(why = 'changes to cloud connections need your password again'): {
  withStepUp: <T>(action: () => Promise<T>) => Promise<T>;
  prompt: ReactNode;
} {
  const [waiting, setWaiting] = useState<Waiting | null>(null);

  const withStepUp = useCallback(async <T,>(action: () => Promise<T>): Promise<T> => {
    try {
      return await action();
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 'auth.reauthentication_required')) throw error;
      await new Promise<void>((resolve, reject) => setWaiting({ resolve, reject }));
      return action();
    }
  }, []);

  const prompt = waiting ? (
    <StepUpDialog
      why={why}
      onConfirmed={() => {
        setWaiting(null);
        waiting.resolve();
      }}
      onCancel={() => {
        setWaiting(null);
        waiting.reject(
          new ApiError({
            status: 0,
            code: 'auth.reauthentication_cancelled',
            message: 'Cancelled. Confirming your password is needed for this change.',
          }),
        );
      }}
    />
  ) : null;
  return { withStepUp, prompt };
}

function StepUpDialog({
  why,
  onConfirmed,
  onCancel,
}: {
  why: string;
  onConfirmed: () => void;
  onCancel: () => void;
}) {
  const { api } = useSession();
  const dialog = useRef<HTMLDialogElement>(null);
  const { submitting, error, onSubmit } = useSubmit(async (data) => {
    await api.reauthenticate(formText(data, 'password'));
    onConfirmed();
  });

  // A modal dialog traps focus and returns it to where it was when it closes.
  useEffect(() => {
    const element = dialog.current;
    element?.showModal();
    return () => element?.close();
  }, []);

  return (
    <dialog
      ref={dialog}
      className="dialog"
      aria-labelledby="step-up-title"
      onCancel={(event) => {
        event.preventDefault();
        onCancel();
      }}
    >
      <form className="form" onSubmit={onSubmit}>
        <h2 id="step-up-title">Confirm your password</h2>
        <p>For your security, {why}.</p>
        <FormError error={error} fields={['password']} />
        <CurrentPasswordField autoFocus error={error} />
        <div className="actions">
          <SubmitButton submitting={submitting} busyLabel="Confirming…">
            Confirm
          </SubmitButton>
          <button type="button" className="button secondary" onClick={onCancel} disabled={submitting}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}
